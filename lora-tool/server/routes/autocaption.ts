/** Auto-caption routes: settings (the key never leaves the server), presets, start, progress, cancel. */
import { notFound } from "@comfystudio/kit/errors";
import { requireJson } from "@comfystudio/kit/guards";
import { Router } from "express";
import { z } from "zod";
import type { Context } from "../context.js";
import { param, parseBody } from "../http.js";
import { CAPTION_STYLE_IDS, composePrompt, presetList, SUBJECT_IDS } from "../presets.js";
import { publicSettings, settingsUpdateSchema } from "../settings.js";

const startBody = z.object({
  subject: z.enum(SUBJECT_IDS).default("identity"),
  style: z.enum(CAPTION_STYLE_IDS).default("flux"),
  prompt: z.string().trim().max(8000, "keep the prompt under 8000 characters").optional(),
  overwrite: z.boolean().default(false),
  trigger_word: z
    .string()
    .trim()
    .max(100)
    // eslint-disable-next-line no-control-regex
    .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), "must be a single line")
    .default(""),
});

export function autocaptionRoutes(ctx: Context): Router {
  const router = Router();

  router.get("/api/settings", async (_req, res) => {
    res.json({ success: true, settings: publicSettings(await ctx.settings.get()) });
  });

  router.post("/api/settings", requireJson, async (req, res) => {
    const change = parseBody(settingsUpdateSchema, req);
    const { settings: saved, keyDropped } = await ctx.settings.update(change);
    ctx.logger.info(
      {
        base_url: saved.base_url,
        model: saved.model,
        concurrency: saved.concurrency,
        api_key_set: saved.api_key !== "",
        api_key_dropped: keyDropped,
      },
      "auto-caption settings saved",
    );
    const message = keyDropped
      ? "Settings saved. The saved API key was removed because the base URL changed; enter the key for the new endpoint."
      : "Settings saved.";
    res.json({ success: true, settings: publicSettings(saved), message });
  });

  router.get("/api/presets", (_req, res) => {
    res.json({ success: true, ...presetList() });
  });

  router.get("/api/datasets/:dataset/autocaption", async (req, res) => {
    await ctx.store.require(param(req, "dataset"));
    res.json({ success: true, run: ctx.captioner.status(param(req, "dataset")) });
  });

  router.post("/api/datasets/:dataset/autocaption", requireJson, async (req, res) => {
    const body = parseBody(startBody, req);
    const dataset = param(req, "dataset");
    const dir = await ctx.store.require(dataset);
    const prompt = body.prompt && body.prompt !== "" ? body.prompt : composePrompt(body.subject, body.style);
    const run = await ctx.captioner.start(dataset, dir, {
      prompt,
      overwrite: body.overwrite,
      trigger_word: body.trigger_word,
    });
    res.status(202).json({ success: true, run });
  });

  router.post("/api/datasets/:dataset/autocaption/cancel", requireJson, async (req, res) => {
    const dataset = param(req, "dataset");
    await ctx.store.require(dataset);
    const run = ctx.captioner.cancel(dataset);
    if (!run) throw notFound("No auto-caption run to cancel on this dataset.");
    res.json({ success: true, run });
  });

  return router;
}
