/**
 * The old copies a reinstall leaves (`ComfyUI.old-{time}`): listed with their tool, age and size, and deleted
 * by an admin as a job that runs the real script. Only real folders with an old copy's name, directly in the
 * workspace, are ever listed or deleted: links, files, other names and paths out of it are refused with
 * nothing changed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { OldCopy } from "../../server/api.js";
import { OldCopies } from "../../server/jobs/old-copies.js";
import { hangingJob, post, signIn, useStudios, waitJob } from "../helpers/http.js";
import { makeDirs, oldCopy, withRealSetup } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();

/** A studio whose repository has the real old-copy script, and a workspace with copies and look-alikes. */
async function studioWithCopies() {
  const dirs = await makeDirs();
  withRealSetup(dirs, ["old-copies", "lib"]);
  const ws = dirs.workspace;
  const copy = (name: string, bytes: number) => oldCopy(dirs, name, bytes);
  copy("ComfyUI.old-20261130-090000", 200_000);
  copy("ComfyUI.old-20261201-101500", 3_000_000);
  copy("ai-toolkit.old-20261201-101500-1", 10_000);
  // Not old copies: another name, a tool that is not a folder, a file, a link to a folder elsewhere.
  copy("ComfyUI.old-yesterday", 10);
  copy("jupyter.old-20261201-101500", 10);
  copy("Notes.old-20261201-101500", 10);
  writeFileSync(path.join(ws, "SwarmUI.old-20261201-101500"), "a file");
  const outside = mkdtempSync(path.join(os.tmpdir(), "outside-"));
  onTestFinished(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(path.join(outside, "keep.txt"), "keep");
  symlinkSync(outside, path.join(ws, "SwarmUI.old-20261202-000000"));
  const s = await studio({ dirs });
  return { s, ws, outside };
}

const list = async (agent: Awaited<ReturnType<typeof signIn>>) =>
  (await agent.get("/old_copies").expect(200)).body.copies as OldCopy[];

describe("old copies", () => {
  it("are listed newest first with their tool and size; links, files and other names are not", async () => {
    const { s } = await studioWithCopies();
    const rosa = await signIn(s, "Rosa Macak Cizmesija");
    const first = await list(rosa);
    expect(first.every((c) => c.measuring && c.bytes === null)).toBe(true);
    expect(first.map((c) => [c.name, c.tool_id, c.made_at])).toEqual([
      ["ComfyUI.old-20261201-101500", "comfy-ui", "2026-12-01T10:15:00.000Z"],
      ["ai-toolkit.old-20261201-101500-1", "ai-toolkit", "2026-12-01T10:15:00.000Z"],
      ["ComfyUI.old-20261130-090000", "comfy-ui", "2026-11-30T09:00:00.000Z"],
    ]);
    const measured = await waitFor(
      async () => {
        const copies = await list(rosa);
        return copies.every((c) => !c.measuring) ? copies : null;
      },
      { what: "every old copy measured" },
    );
    const bytes = Object.fromEntries(measured.map((c) => [c.name, c.bytes!]));
    expect(bytes["ComfyUI.old-20261201-101500"]).toBeGreaterThanOrEqual(3_000_000);
    expect(bytes["ComfyUI.old-20261130-090000"]).toBeGreaterThanOrEqual(200_000);
    expect(bytes["ComfyUI.old-20261130-090000"]).toBeLessThan(3_000_000);
  });

  it("that hold much of the volume are named in the warnings, /debug's too", async () => {
    const { s } = await studioWithCopies();
    const rosa = await signIn(s, "Rosa Macak Cizmesija");
    const debugWarnings = async () => (await rosa.get("/debug").expect(200)).body.warnings as string[];
    // Three copies of about 3.2 MB: not much for the studio's own 1 GB threshold.
    await waitFor(async () => (await list(rosa)).every((c) => !c.measuring), {
      what: "the copies measured",
    });
    expect((await debugWarnings()).filter((w) => /old cop/.test(w))).toEqual([]);
    const strict = new OldCopies(s.config, s.studio.jobs, { warnAboveBytes: 1_000_000 });
    const warnings = await waitFor(
      async () => {
        await strict.list();
        return strict.warnings.length > 0 ? strict.warnings : null;
      },
      { what: "a warning once the copies are measured" },
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /^3 old copies of reinstalled tools hold 3\.\d+ MB on the volume; an admin can delete them \(Admin, Old copies\)\.$/,
      ),
    ]);
  });

  it("are deleted by an admin as a job that says what it freed; a second delete of a queued one is a 409", async () => {
    const { s, ws } = await studioWithCopies();
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    const name = "ComfyUI.old-20261201-101500";
    // A job that holds the queue, so the delete waits behind it.
    const blocker = await hangingJob(admin, s.dirs, { tool_id: "ai-toolkit", action: "install" });
    const queued = await post(admin, "/old_copies_action", { action: "delete", name }).expect(202);
    expect(queued.body.job).toMatchObject({
      kind: "old_copy",
      target: name,
      action: "delete",
      status: "queued",
    });
    const again = await post(admin, "/old_copies_action", { action: "delete", name }).expect(409);
    expect(again.body.message).toBe(`${name} is already being deleted; follow its job.`);
    expect(existsSync(path.join(ws, name))).toBe(true);

    await post(admin, "/cancel_job", { job_id: blocker.jobId }).expect(200);
    await waitJob(admin, queued.body.job_id as string, "succeeded");
    expect(existsSync(path.join(ws, name))).toBe(false);
    const log = (await admin.get(`/logs?source=job:${queued.body.job_id as string}`).expect(200)).body
      .content as string;
    expect(log).toMatch(/\[old-copy\] deleting ComfyUI\.old-20261201-101500 \(3\.\d ?MB\)/);
    expect(log).toMatch(/deleted ComfyUI\.old-20261201-101500: 3\.\d ?MB freed/);
    expect((await list(admin)).map((c) => c.name)).not.toContain(name);
    expect(existsSync(path.join(ws, "ComfyUI.old-20261130-090000"))).toBe(true);
  });

  it("refuse anything but a listed copy, and anyone but an admin in admin mode, changing nothing", async () => {
    const { s, ws, outside } = await studioWithCopies();
    const name = "ComfyUI.old-20261130-090000";
    const rosa = await signIn(s, "Rosa Macak Cizmesija");
    expect(
      (await post(rosa, "/old_copies_action", { action: "delete", name }).expect(403)).body.success,
    ).toBe(false);
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    const refused: [unknown, number, RegExp][] = [
      [{ action: "wipe", name }, 400, /Unknown action "wipe": use one of delete/],
      [{ action: "delete" }, 400, /name/],
      [
        { action: "delete", name: "SwarmUI.old-20261202-000000" },
        404,
        /no old copy "SwarmUI\.old-20261202-000000"/,
      ],
      [{ action: "delete", name: "SwarmUI.old-20261201-101500" }, 404, /no old copy/],
      [{ action: "delete", name: "ComfyUI.old-yesterday" }, 404, /no old copy/],
      [{ action: "delete", name: `../${path.basename(outside)}` }, 404, /no old copy/],
      [{ action: "delete", name: "ComfyUI" }, 404, /the old copies are ComfyUI\.old-20261201-101500, /],
    ];
    for (const [body, status, message] of refused) {
      const answer = await post(admin, "/old_copies_action", body).expect(status);
      expect(answer.body.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await admin.get("/jobs").expect(200)).body.jobs).toEqual([]);
    expect(readFileSync(path.join(outside, "keep.txt"), "utf8")).toBe("keep");
    expect(existsSync(path.join(ws, name))).toBe(true);
    expect(existsSync(path.join(ws, "SwarmUI.old-20261201-101500"))).toBe(true);
  });
});
