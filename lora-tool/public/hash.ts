/**
 * The chosen dataset lives in the URL's #hash, so a link, a reload and the Back button all show it.
 *
 * ```ts
 * onHashChange(select);         // select(name) whenever the hash changes
 * go("cats", select);           // #cats (select runs through the hash change)
 * void select(nameFromHash());  // at load
 * ```
 */
type Select = (name: string | null) => Promise<void>;

export function nameFromHash(): string | null {
  const raw = location.hash.replace(/^#/, "");
  if (raw === "") return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** Shows dataset `name` (null: none); `select` runs at once when the hash does not change. */
export function go(name: string | null, select: Select): void {
  const hash = name === null ? "" : `#${encodeURIComponent(name)}`;
  if (location.hash === hash || (hash === "" && location.hash === "")) {
    void select(name);
  } else if (name === null) {
    history.pushState(null, "", location.pathname + location.search);
    void select(null);
  } else {
    location.hash = hash;
  }
}

export function onHashChange(select: Select): void {
  window.addEventListener("hashchange", () => void select(nameFromHash()));
}
