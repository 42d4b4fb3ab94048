/** Who is asking: the artist a browser (or an API key) stands for, checked against the current users. */
export interface Who {
  artist: string | null;
  isAdmin: boolean;
  /** Admin mode is on (only for an admin). */
  adminMode: boolean;
}

export const NOBODY: Who = { artist: null, isAdmin: false, adminMode: false };
