import http from "node:http";

/** One readiness probe: GET http://127.0.0.1:{port}{path}; true when the answer is acceptable. */
export function probe(
  port: number,
  urlPath: string,
  accept: "ok" | "any",
  timeoutMs = 1_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: urlPath, agent: false, timeout: timeoutMs },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(accept === "ok" ? status === 200 : status > 0 && status < 500);
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
