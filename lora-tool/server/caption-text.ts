/**
 * Pure caption text operations: trigger word, literal find and replace, length statistics, and
 * tidying a caption a vision model wrote.
 */
import type { CaptionStats, Range } from "../api.js";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A case-insensitive match of `word` not glued to other letters or digits. */
function wordPattern(word: string, flags = "iu"): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(word)}(?![\\p{L}\\p{N}_])`, flags);
}

export function containsWord(text: string, word: string): boolean {
  return word !== "" && wordPattern(word).test(text);
}

/**
 * Puts `trigger` at the start of the caption, once: a caption that already holds the trigger word
 * (as a whole word, any case) is returned unchanged, so applying it again changes nothing.
 */
export function applyTrigger(caption: string, trigger: string): string {
  const word = trigger.trim();
  if (word === "") return caption;
  const body = caption.trim();
  if (body === "") return word;
  if (containsWord(body, word)) return caption;
  return `${word}, ${body}`;
}

/** Whether the caption says nothing beyond the trigger word (e.g. `ohwx` or `ohwx,`). */
export function isOnlyTrigger(caption: string, trigger: string): boolean {
  const word = trigger.trim();
  if (word === "") return false;
  return (
    caption
      .trim()
      .replace(/[,.;:\s]+$/u, "")
      .toLowerCase() === word.toLowerCase()
  );
}

/** Replaces every literal occurrence of `find`; returns the new text and how many were replaced. */
export function replaceLiteral(
  text: string,
  find: string,
  replacement: string,
): { text: string; count: number } {
  if (find === "") return { text, count: 0 };
  const parts = text.split(find);
  return { text: parts.join(replacement), count: parts.length - 1 };
}

export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/u).length;
}

export type { CaptionStats } from "../api.js";

function range(values: number[]): Range | null {
  if (values.length === 0) return null;
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    min: Math.min(...values),
    avg: Math.round((sum / values.length) * 10) / 10,
    max: Math.max(...values),
  };
}

/** Statistics over the captions of a set; null or blank counts as missing. */
export function captionStats(captions: ReadonlyArray<string | null>): CaptionStats {
  const present = captions.filter((caption): caption is string => caption !== null && caption.trim() !== "");
  return {
    images: captions.length,
    captioned: present.length,
    missing: captions.length - present.length,
    words: range(present.map(countWords)),
    characters: range(present.map((caption) => caption.trim().length)),
  };
}

/** Tidies a model's answer into one caption line: no code fences, labels, wrapping quotes or line breaks. */
export function cleanModelCaption(raw: string): string {
  let text = raw.trim();
  text = text.replace(/^```[a-z]*\s*/i, "").replace(/\s*```$/, "");
  text = text.replace(/^(caption|tags)\s*:\s*/i, "");
  text = text
    .replace(/\s*\n+\s*/g, " ")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
  const quoted = /^(["'“”‘’`])(.*)(["'“”‘’`])$/su.exec(text);
  if (quoted && quoted[2] !== undefined && !quoted[2].includes(quoted[1] ?? "")) text = quoted[2].trim();
  return text;
}
