// The studio page's script: filled in by the page work.
export {};
