/**
 * What a tool port answers while its tool is not there (stopped, starting, crashed): 503 with a small
 * page that names the tool and its state and links back to the studio (or JSON for a script). A page for
 * a starting tool reloads itself every few seconds.
 */
import type { ServerResponse } from "node:http";
import type { IncomingMessage } from "node:http";

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** Whether the client is a browser loading a page (its Accept names HTML). */
export const wantsHtml = (req: IncomingMessage) => (req.headers.accept ?? "").includes("text/html");

export function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

export function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  sentence: string,
  studioUrl: string,
  refresh = false,
): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${refresh ? '<meta http-equiv="refresh" content="3">' : ""}<title>${escape(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1 style="font-size: 1.4rem">${escape(title)}</h1><p>${escape(sentence)}</p>
<p><a href="${escape(studioUrl)}">Back to the studio</a></p></body></html>`;
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(html);
}

export function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  title: string,
  sentence: string,
  studioUrl: string,
  refresh = false,
): void {
  if (wantsHtml(req)) sendPage(res, status, title, sentence, studioUrl, refresh);
  else sendJson(res, status, { success: false, message: sentence });
}
