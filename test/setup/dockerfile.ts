/** The Dockerfile's instructions, read as Docker reads them: comments dropped, continuation lines joined. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./sandbox.js";

export const DOCKERFILE = path.join(REPO_ROOT, "Dockerfile");

export interface Instructions {
  /** Every instruction, one a line. */
  all: string[];
  /** The instructions of each build stage (from its FROM on). */
  stages: string[][];
}

export function dockerInstructions(file = DOCKERFILE): Instructions {
  const all = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: string[][] = [];
  for (const line of all) {
    if (/^FROM\s/i.test(line)) stages.push([]);
    stages.at(-1)?.push(line);
  }
  return { all, stages };
}
