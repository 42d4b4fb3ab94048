/**
 * ComfyUI's own user routes (app/user_manager.py), asked by the studio on an instance's loopback port:
 * `POST /users { username }` makes a user and answers its id as a JSON string; `GET /users` answers
 * `{ storage: "server", users: { id: name } }` with `--multi-user`, the users that instance knows.
 */
import http from "node:http";

const TIMEOUT_MS = 10_000;

function askJson(port: number, method: "GET" | "POST", route: string, body?: unknown): Promise<unknown> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: route,
        method,
        headers: text
          ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }
          : {},
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          let value: unknown;
          try {
            value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            value = undefined;
          }
          if (response.statusCode === 200 && value !== undefined) resolve(value);
          else reject(new Error(`ComfyUI answered ${method} ${route} with status ${response.statusCode}`));
        });
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`ComfyUI did not answer ${method} ${route} in time`)),
    );
    request.on("error", reject);
    request.end(text);
  });
}

/** Makes ComfyUI user `username` on the instance at `port`: its id. */
export async function postUser(port: number, username: string): Promise<string> {
  const id = await askJson(port, "POST", "/users", { username }).catch((error: unknown) => {
    throw new Error(`ComfyUI did not make a user for ${username} (${(error as Error).message})`);
  });
  if (typeof id !== "string")
    throw new Error(`ComfyUI did not make a user for ${username} (no id in its answer)`);
  return id;
}

/** The users the instance at `port` knows: `{ id: name }`. */
export async function getUsers(port: number): Promise<Record<string, string>> {
  const body = await askJson(port, "GET", "/users");
  const users = (body as { users?: unknown } | null)?.users;
  if (!users || typeof users !== "object" || Array.isArray(users))
    throw new Error("ComfyUI's GET /users named no users (is it running with --multi-user?)");
  return onlyNames(users);
}

/** The `{ id: name }` entries of a parsed users.json or answer whose name is a string. */
export const onlyNames = (value: object): Record<string, string> =>
  Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
