#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON report (dist/test-results.json).
import { readFileSync } from "node:fs";

let passed = 0;
let failed;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(process.argv[2] ?? "dist/test-results.json", "utf8"));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped = report.numPendingTests + (report.numTodoTests ?? 0);
  if (!report.success && failed === 0) failed = 1;
} catch {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
