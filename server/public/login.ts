// The login page: sends the studio password and loads the studio page when it is right.
const form = document.querySelector<HTMLFormElement>("#login-form");
const input = document.querySelector<HTMLInputElement>("#password");
const error = document.querySelector<HTMLParagraphElement>("#login-error");
const submit = form?.querySelector<HTMLButtonElement>('button[type="submit"]') ?? null;

function showError(message: string | null): void {
  if (!error) return;
  error.textContent = message ?? "";
  error.hidden = message === null;
  if (message === null) input?.removeAttribute("aria-invalid");
  else input?.setAttribute("aria-invalid", "true");
}

async function logIn(password: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch("/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ password }),
    });
  } catch {
    showError("The studio could not be reached. Check your connection and try again.");
    return;
  }
  if (response.ok) {
    location.reload();
    return;
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  showError(body.message ?? `The login failed (the studio answered ${response.status}).`);
  input?.select();
}

form?.addEventListener("submit", (event) => {
  event.preventDefault();
  const password = input?.value ?? "";
  if (password === "") {
    showError("Type the studio password first.");
    input?.focus();
    return;
  }
  showError(null);
  if (submit) submit.disabled = true;
  void logIn(password).finally(() => {
    if (submit) submit.disabled = false;
  });
});
export {};
