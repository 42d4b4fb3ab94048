/**
 * Where a browser was going when the studio asked it to log in or pick a name first: `?next=/open/{tool}`
 * (the gateway sends a visitor without a cookie there). Only a way into a tool is followed, never another
 * site.
 */
export function pendingEntry(): string | null {
  const next = new URLSearchParams(location.search).get("next");
  return next !== null && /^\/open\/[a-z-]+(\?|$)/.test(next) ? next : null;
}

/** Goes on into the tool once the browser has an artist; true when it does. */
export function goOnIfReady(artist: string | null): boolean {
  const next = pendingEntry();
  if (next === null || artist === null) return false;
  location.replace(next);
  return true;
}
