/**
 * `npm run bench`: runs every benchmark and prints its figures. `npm run bench -- tools` runs one.
 * Figures and ratios only: nothing here passes or fails.
 */
const BENCHES: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  tools: () => import("./tools.js"),
  "logs-load": () => import("./logs-load.js"),
  download: () => import("./download.js"),
  jobs: () => import("./jobs.js"),
  sessions: () => import("./sessions.js"),
  gateway: () => import("./gateway.js"),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  const started = Date.now();
  try {
    await (await load()).run();
  } catch (error) {
    console.log(`  failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit();
