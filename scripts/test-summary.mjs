#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON report (dist/test-results.json). The test
// command's exit status is the second argument: a run that failed with no failed test (an unhandled error,
// which the report leaves out) counts as one failure, so the line never says a red run was green.
import { readFileSync } from "node:fs";

let passed = 0;
let failed;
let skipped = 0;
const status = Number(process.argv[3] ?? 0);
try {
  const report = JSON.parse(readFileSync(process.argv[2] ?? "dist/test-results.json", "utf8"));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped = report.numPendingTests + (report.numTodoTests ?? 0);
  if (!report.success && failed === 0) failed = 1;
} catch {
  failed = 1;
}
let why = "";
if (status !== 0 && failed === 0) {
  failed = 1;
  why = ` (the test command exited with ${status}: an unhandled error, see above)`;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${why}`);
