/**
 * Model-set manifests: `setup/download-models/{set id}.txt`.
 *
 * A manifest is plain text:
 *
 * ```text
 * # name: Flux.1 dev (fp8 checkpoint)
 * # any other comment line
 * https://huggingface.co/Comfy-Org/flux1-dev/resolve/main/flux1-dev-fp8.safetensors  ComfyUI/models/checkpoints/flux1-dev-fp8.safetensors
 * https://example.org/model.safetensors  ComfyUI/models/loras/model.safetensors  <64 hex sha256>
 * ```
 *
 * Each file line is `URL  DEST  [sha256]`, whitespace separated. URL is http(s); DEST is relative to
 * WORKSPACE_DIR and must stay inside it; sha256, when given, is 64 hex digits. Lines that do not parse are
 * reported with their 1-based line number and left out of the set; line 0 means the file as a whole.
 */
import { promises as fs } from "node:fs";
import path from "node:path";

/** A set id: the manifest's file stem. Example: `SET_ID_PATTERN.test("wan22-t2v-14b") // true`. */
export const SET_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** One file of a model set. */
export interface ModelFile {
  /** Where it is downloaded from (http or https, no credentials in it). */
  url: string;
  /** Absolute, resolved path under the workspace. */
  dest: string;
  /** DEST as the manifest writes it, normalised with forward slashes (e.g. `ComfyUI/models/vae/ae.safetensors`). */
  relDest: string;
  /** Lower-case hex SHA-256 of the complete file, when the manifest gives one. */
  sha256?: string;
}

/** A named group of files that are downloaded together. */
export interface ModelSet {
  id: string;
  name: string;
  files: ModelFile[];
}

/** A line of a manifest that could not be used. `line` is 1-based; 0 means the file as a whole. */
export interface ManifestError {
  line: number;
  message: string;
}

const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const NAME_HEADER = /^#\s*name\s*:(.*)$/i;
/** Query parameters that carry credentials; a manifest must never hold a secret. */
const SECRET_QUERY_PARAMS = ["token", "access_token", "api_key", "apikey", "key"];

/**
 * Whether `target` lies below `root` (both absolute; `root` itself does not count).
 *
 * ```ts
 * isInside("/workspace", "/workspace/ComfyUI/models/x"); // true
 * isInside("/workspace", "/etc/passwd"); // false
 * ```
 */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/**
 * Why `raw` cannot be a download URL (not http(s), or carrying a credential), or null when it can.
 *
 * ```ts
 * urlProblem("ftp://x/y"); // "the URL must start with http:// or https:// (found ftp)"
 * ```
 */
export function urlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `the URL must start with http:// or https:// (found ${url.protocol.replace(/:$/, "")})`;
  }
  if (url.username !== "" || url.password !== "") {
    return "the URL must not contain a user name or password; give tokens in the studio instead";
  }
  for (const name of url.searchParams.keys()) {
    if (SECRET_QUERY_PARAMS.includes(name.toLowerCase())) {
      return `the URL must not carry a credential (?${name}=); give tokens in the studio instead`;
    }
  }
  return null;
}

function checkDest(raw: string, workspaceDir: string): { dest: string; relDest: string } | string {
  if (raw.includes("\0")) return "DEST contains a NUL character";
  if (CONTROL_CHARS.test(raw)) return "DEST contains a control character";
  if (raw.includes("\\")) return `DEST "${raw}" uses a backslash; use forward slashes`;
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) {
    return `DEST "${raw}" is an absolute path; give it relative to the workspace`;
  }
  if (raw.endsWith("/")) return `DEST "${raw}" names a folder; give the file name too`;
  if (raw.split("/").includes("..")) return `DEST "${raw}" leaves the workspace ("..")`;
  const root = path.resolve(workspaceDir);
  const dest = path.resolve(root, raw);
  if (!isInside(root, dest)) return `DEST "${raw}" does not resolve to a file inside the workspace`;
  if (dest.endsWith(".part")) return `DEST "${raw}" must not end in .part (used for partial downloads)`;
  return { dest, relDest: path.relative(root, dest).split(path.sep).join("/") };
}

/**
 * Parses one manifest. Good lines become files of the set; each bad line gives an error and is left out.
 *
 * ```ts
 * const { set, errors } = parseManifest(text, "flux1-dev", "/workspace");
 * for (const e of errors) console.warn(`flux1-dev.txt:${e.line}: ${e.message}`);
 * ```
 */
export function parseManifest(
  text: string,
  id: string,
  workspaceDir: string,
): { set: ModelSet; errors: ManifestError[] } {
  const errors: ManifestError[] = [];
  const files: ModelFile[] = [];
  const seenDest = new Map<string, number>();
  let name: string | undefined;
  let nameLine = 0;

  if (!SET_ID_PATTERN.test(id)) {
    errors.push({
      line: 0,
      message: `"${id}" is not a valid set id (lower-case letters, digits, "-" and "_")`,
    });
  }

  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const lineNo = index + 1;
    const line = rawLine.trim();
    if (line === "") return;
    if (line.startsWith("#")) {
      const header = NAME_HEADER.exec(line);
      if (!header) return;
      const value = (header[1] ?? "").trim();
      if (value === "") errors.push({ line: lineNo, message: "the `# name:` line has no name" });
      else if (name !== undefined) {
        errors.push({
          line: lineNo,
          message: `a second \`# name:\` line (the first is on line ${nameLine})`,
        });
      } else if (CONTROL_CHARS.test(value)) {
        errors.push({ line: lineNo, message: "the name contains a control character" });
      } else {
        name = value;
        nameLine = lineNo;
      }
      return;
    }
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) {
      errors.push({
        line: lineNo,
        message: `expected "URL  DEST  [sha256]", found ${fields.length} field${fields.length === 1 ? "" : "s"}`,
      });
      return;
    }
    const [rawUrl = "", rawDest = "", rawSha] = fields;
    const badUrl = urlProblem(rawUrl);
    if (badUrl) {
      errors.push({ line: lineNo, message: badUrl });
      return;
    }
    const destResult = checkDest(rawDest, workspaceDir);
    if (typeof destResult === "string") {
      errors.push({ line: lineNo, message: destResult });
      return;
    }
    if (rawSha !== undefined && !SHA256_PATTERN.test(rawSha)) {
      errors.push({ line: lineNo, message: `"${rawSha}" is not a SHA-256 (64 hex digits)` });
      return;
    }
    const earlier = seenDest.get(destResult.dest);
    if (earlier !== undefined) {
      errors.push({ line: lineNo, message: `DEST "${rawDest}" is already used on line ${earlier}` });
      return;
    }
    seenDest.set(destResult.dest, lineNo);
    const file: ModelFile = { url: new URL(rawUrl).href, dest: destResult.dest, relDest: destResult.relDest };
    if (rawSha !== undefined) file.sha256 = rawSha.toLowerCase();
    files.push(file);
  });

  if (name === undefined) {
    errors.push({ line: 0, message: "no `# name: Human name` line; the set id is used as its name" });
  }
  return { set: { id, name: name ?? id, files }, errors };
}

/**
 * Reads every `*.txt` manifest in `manifestDir`, sorted by set id. Problems become warnings that name the
 * file and line (`flux1-dev.txt:4: ...`); a set keeps its good lines, and a set without any file is left out.
 * A missing folder gives no sets and one warning.
 *
 * ```ts
 * const { sets, warnings } = await loadModelSets(path.join(repoDir, "setup/download-models"), workspaceDir);
 * ```
 */
export async function loadModelSets(
  manifestDir: string,
  workspaceDir: string,
): Promise<{ sets: ModelSet[]; warnings: string[] }> {
  const warnings: string[] = [];
  let names: string[];
  try {
    names = (await fs.readdir(manifestDir)).filter((n) => n.endsWith(".txt")).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    warnings.push(
      code === "ENOENT"
        ? `The model manifest folder ${manifestDir} does not exist; no model sets are offered.`
        : `Cannot read the model manifest folder ${manifestDir}: ${(error as Error).message}`,
    );
    return { sets: [], warnings };
  }

  const sets: ModelSet[] = [];
  const urlByDest = new Map<string, { url: string; where: string }>();
  for (const fileName of names) {
    const id = fileName.slice(0, -".txt".length);
    if (!SET_ID_PATTERN.test(id)) {
      warnings.push(
        `${fileName}: "${id}" is not a valid set id (lower-case letters, digits, "-" and "_"); skipped.`,
      );
      continue;
    }
    let text: string;
    try {
      text = await fs.readFile(path.join(manifestDir, fileName), "utf8");
    } catch (error) {
      warnings.push(`${fileName}: cannot be read: ${(error as Error).message}`);
      continue;
    }
    const { set, errors } = parseManifest(text, id, workspaceDir);
    for (const e of errors) warnings.push(`${fileName}:${e.line}: ${e.message}`);
    if (set.files.length === 0) {
      warnings.push(`${fileName}: has no usable file lines; skipped.`);
      continue;
    }
    for (const file of set.files) {
      const other = urlByDest.get(file.dest);
      if (other && other.url !== file.url) {
        warnings.push(
          `${fileName}: ${file.relDest} is also downloaded by ${other.where} from another URL; whichever runs first wins.`,
        );
      } else if (!other) urlByDest.set(file.dest, { url: file.url, where: fileName });
    }
    sets.push(set);
  }
  return { sets, warnings };
}
