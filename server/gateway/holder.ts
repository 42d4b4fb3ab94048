/**
 * Who holds a TCP port: the program named by `ss` (iproute2), for a sentence a person can act on.
 */
import { execa } from "execa";

export async function portHolder(port: number): Promise<string> {
  try {
    const { stdout } = await execa("ss", ["-H", "-ltnp", `sport = :${port}`], {
      timeout: 2_000,
      reject: false,
    });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    if (match) return `another program (${match[1]}, pid ${match[2]})`;
  } catch {
    // ss is missing: say less
  }
  return "another program";
}
