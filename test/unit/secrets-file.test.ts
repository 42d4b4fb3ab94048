import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSecretsFile, takeSecretsFile, withoutSecrets } from "../../server/config/secrets.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the secrets file", () => {
  it("is read once and deleted; values keep every character but a newline", () => {
    const file = path.join(dir, "secrets");
    writeFileSync(
      file,
      "# handed over by start_server.sh\nSTUDIO_PASSWORD= pw with = and spaces \nHF_TOKEN=hf_x\n\n",
      { mode: 0o600 },
    );
    expect(takeSecretsFile({ STUDIO_SECRETS_FILE: file })).toEqual({
      STUDIO_PASSWORD: " pw with = and spaces ",
      HF_TOKEN: "hf_x",
    });
    expect(existsSync(file)).toBe(false);
  });

  it("refuses unknown names (naming the line, never the value), a link and a FIFO", () => {
    expect(() => parseSecretsFile("PATH=/evil\n")).toThrow(/STUDIO_SECRETS_FILE: line 1 is not NAME=value/);
    const target = path.join(dir, "target");
    writeFileSync(target, "ADMIN_PASSWORD=x\n");
    const link = path.join(dir, "link");
    symlinkSync(target, link);
    expect(() => takeSecretsFile({ STUDIO_SECRETS_FILE: link })).toThrow(/it is a link/);
    expect(existsSync(target)).toBe(true);
    expect(takeSecretsFile({})).toEqual({});
  });

  it("and its name never reach a child's environment", () => {
    expect(withoutSecrets({ STUDIO_SECRETS_FILE: "/dev/shm/x", ADMIN_PASSWORD: "a", PATH: "/bin" })).toEqual({
      PATH: "/bin",
    });
  });
});
