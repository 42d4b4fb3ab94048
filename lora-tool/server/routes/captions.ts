/** Caption routes: edit one, trigger word and find-and-replace over the set, statistics. */
import { requireJson } from "@comfystudio/kit/guards";
import { Router } from "express";
import { z } from "zod";
import {
  applyTriggerToSet,
  MAX_CAPTION_LENGTH,
  readCaption,
  replaceInSet,
  statsOfSet,
  writeCaption,
} from "../captions.js";
import type { Context } from "../context.js";
import { param, parseBody } from "../http.js";
import { requireImage } from "../images.js";

// eslint-disable-next-line no-control-regex
const singleLine = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

export const triggerSchema = z.object({
  trigger_word: z
    .string({ error: "give a trigger word" })
    .trim()
    .min(1, "give a trigger word")
    .max(100, "keep the trigger word under 100 characters")
    .refine(singleLine, "must be a single line"),
});

const captionBody = z.object({
  caption: z.string({ error: "give the caption text" }).max(MAX_CAPTION_LENGTH, "is too long"),
});

const replaceBody = z.object({
  find: z.string({ error: "give the text to find" }).min(1, "give the text to find").max(1000),
  replace: z.string().max(1000).default(""),
});

export function captionRoutes(ctx: Context): Router {
  const router = Router();

  router.post("/api/datasets/:dataset/images/:image/caption", requireJson, async (req, res) => {
    const { caption } = parseBody(captionBody, req);
    const dataset = param(req, "dataset");
    const image = param(req, "image");
    const dir = await ctx.store.require(dataset);
    // Under the dataset's lock: a set-wide edit in progress would otherwise write over this one.
    const saved = await ctx.locks.run(dataset, async () => {
      await requireImage(dir, image);
      await writeCaption(dir, image, caption);
      return (await readCaption(dir, image)) ?? "";
    });
    res.json({ success: true, image, caption: saved });
  });

  router.post("/api/datasets/:dataset/trigger", requireJson, async (req, res) => {
    const { trigger_word } = parseBody(triggerSchema, req);
    const dataset = param(req, "dataset");
    const dir = await ctx.store.require(dataset);
    ctx.captioner.assertIdle(dataset);
    const result = await ctx.locks.run(dataset, async () => await applyTriggerToSet(dir, trigger_word));
    res.json({
      success: true,
      ...result,
      message: `"${trigger_word}" is now in every caption (${result.changed} changed).`,
    });
  });

  router.post("/api/datasets/:dataset/replace", requireJson, async (req, res) => {
    const { find, replace } = parseBody(replaceBody, req);
    const dataset = param(req, "dataset");
    const dir = await ctx.store.require(dataset);
    ctx.captioner.assertIdle(dataset);
    const result = await ctx.locks.run(dataset, async () => await replaceInSet(dir, find, replace));
    res.json({
      success: true,
      ...result,
      message: `Replaced ${result.replacements} time${result.replacements === 1 ? "" : "s"} in ${result.changed} caption${result.changed === 1 ? "" : "s"}.`,
    });
  });

  router.get("/api/datasets/:dataset/stats", async (req, res) => {
    res.json({ success: true, stats: await statsOfSet(await ctx.store.require(param(req, "dataset"))) });
  });

  return router;
}
