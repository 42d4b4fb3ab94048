import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter } from "../../lora-tool/server/backoff.js";
import {
  applyTrigger,
  captionStats,
  cleanModelCaption,
  containsWord,
  isOnlyTrigger,
  replaceLiteral,
} from "../../lora-tool/server/caption-text.js";
import { maskKey } from "../../lora-tool/server/settings.js";

const trigger = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((text) => text.trim() !== "" && !/[\n\r]/.test(text));

describe("trigger word", () => {
  it("goes at the start, once", () => {
    expect(applyTrigger("a woman in a red coat", "ohwx")).toBe("ohwx, a woman in a red coat");
    expect(applyTrigger("", "ohwx")).toBe("ohwx");
    expect(applyTrigger("  ", "ohwx")).toBe("ohwx");
    expect(applyTrigger("ohwx, a woman", "ohwx")).toBe("ohwx, a woman");
    expect(applyTrigger("OHWX woman", "ohwx")).toBe("OHWX woman");
    expect(applyTrigger("a photo of ohwx woman", "ohwx")).toBe("a photo of ohwx woman");
    // part of a longer word is not the trigger
    expect(applyTrigger("ohwxy cat", "ohwx")).toBe("ohwx, ohwxy cat");
    expect(applyTrigger("cat", "c++")).toBe("c++, cat");
  });

  it("is idempotent and never doubles the word, for any caption and trigger", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), trigger, (caption, word) => {
        const once = applyTrigger(caption, word);
        expect(applyTrigger(once, word)).toBe(once);
        expect(containsWord(once, word.trim())).toBe(true);
        if (!containsWord(caption, word.trim())) {
          expect(once.toLowerCase().startsWith(word.trim().toLowerCase())).toBe(true);
        }
      }),
    );
  });

  it("recognises a caption that is only the trigger", () => {
    expect(isOnlyTrigger("ohwx", "ohwx")).toBe(true);
    expect(isOnlyTrigger(" ohwx, ", "ohwx")).toBe(true);
    expect(isOnlyTrigger("ohwx, a dog", "ohwx")).toBe(false);
    expect(isOnlyTrigger("", "")).toBe(false);
  });
});

describe("find and replace", () => {
  it("replaces literal text, regex characters included", () => {
    expect(replaceLiteral("a.b a.b", "a.b", "x")).toEqual({ text: "x x", count: 2 });
    expect(replaceLiteral("$1 (x)", "(x)", "$&")).toEqual({ text: "$1 $&", count: 1 });
    expect(replaceLiteral("abc", "", "x")).toEqual({ text: "abc", count: 0 });
  });

  it("leaves no occurrence behind when the replacement cannot form one", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1, maxLength: 4 }), (text, find) => {
        const { text: out } = replaceLiteral(text, find, "\u0000");
        expect(out.includes(find)).toBe(false);
        expect(out.split("\u0000").join(find)).toBe(text);
      }),
    );
  });
});

describe("statistics", () => {
  it("counts words, characters and missing captions", () => {
    const stats = captionStats(["one two three", null, "  ", "four"]);
    expect(stats).toEqual({
      images: 4,
      captioned: 2,
      missing: 2,
      words: { min: 1, avg: 2, max: 3 },
      characters: { min: 4, avg: 8.5, max: 13 },
    });
    expect(captionStats([null]).words).toBeNull();
  });
});

describe("model answers", () => {
  it("are tidied into one caption line", () => {
    expect(cleanModelCaption('  "A cat on a mat."  ')).toBe("A cat on a mat.");
    expect(cleanModelCaption("Caption: a dog\nrunning")).toBe("a dog running");
    expect(cleanModelCaption("```\n1girl, red dress\n```")).toBe("1girl, red dress");
    expect(cleanModelCaption('"quoted" and "more"')).toBe('"quoted" and "more"');
  });
});

describe("retry timing", () => {
  it("reads Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0.5")).toBe(500);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:03 GMT", now)).toBe(3000);
  });

  it("backs off exponentially with a ceiling", () => {
    expect(backoffDelay(1, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 1)).toBe(4000);
    expect(backoffDelay(10, 1000, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(2, 1000, 30_000, () => 0)).toBe(1000);
  });
});

describe("API key hint", () => {
  it("shows only the ends of a long key", () => {
    expect(maskKey("")).toBe("");
    expect(maskKey("short")).toBe("set");
    expect(maskKey("sk-proj-1234567890abcd")).toBe("sk-…abcd");
  });
});
