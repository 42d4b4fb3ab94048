const form = document.querySelector<HTMLFormElement>("#login-form");
const error = document.querySelector<HTMLParagraphElement>("#login-error");
form?.addEventListener("submit", (event) => {
  event.preventDefault();
  const password = (document.querySelector<HTMLInputElement>("#password")?.value ?? "").toString();
  void fetch("/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ password }),
  }).then(async (response) => {
    if (response.ok) return location.reload();
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (error) {
      error.textContent = body.message ?? "The login failed.";
      error.hidden = false;
    }
  });
});
export {};
