#!/usr/bin/env node
// Adds up the vitest JSON reports of a CI run and prints one closing line: "Tests: N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".json")) : [];
for (const name of names.sort()) {
  const report = JSON.parse(readFileSync(path.join(dir, name), "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(
    `${name.replace(/\.json$/, "")}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
  );
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
