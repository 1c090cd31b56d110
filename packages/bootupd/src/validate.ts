import path from "node:path";
import { pathExists, sha256File } from "@particle/runtime";
import { listFiles } from "./dir-update.js";
import { errors } from "./errors.js";
import type { FileProblem, ValidationReport } from "./spec.js";
import { readState } from "./state.js";
import { type BootTarget, resolveKey, rootDir, splitKey } from "./target.js";

/**
 * Checks every recorded file against its hash, and every owned directory for files nobody recorded:
 * a changed, missing or extra file is a problem (tampering, a half-copied ESP, a foreign installer).
 */
export async function validateBootloader(target: BootTarget): Promise<ValidationReport> {
  const state = await readState(target);
  const components = Object.values(state?.components ?? {});
  if (components.length === 0) throw errors.notInstalled(target.boot);
  const problems: FileProblem[] = [];
  let checked = 0;
  for (const component of components) {
    for (const [key, expected] of Object.entries(component.files)) {
      checked++;
      const file = resolveKey(target, key);
      if (!(await pathExists(file))) {
        problems.push({ path: key, problem: "missing", expected });
        continue;
      }
      const actual = await sha256File(file);
      if (actual !== expected) problems.push({ path: key, problem: "changed", expected, actual });
    }
    for (const dir of component.dirs) {
      const [root, rel] = splitKey(dir);
      for (const name of await listFiles(path.join(rootDir(target, root), rel))) {
        const key = `${root}:${rel}/${name}`;
        if (!(key in component.files)) {
          problems.push({
            path: key,
            problem: "extra",
            actual: await sha256File(path.join(rootDir(target, root), rel, name)),
          });
        }
      }
    }
  }
  return { valid: problems.length === 0, checked, problems };
}
