import path from "node:path";
import { pathExists } from "@particle/runtime";
import { errors } from "../errors.js";
import type { BackendName } from "../spec.js";

/** A file the image must carry for a backend, and the Debian package that ships it. */
export interface Requirement {
  readonly file: string;
  readonly pkg: string;
}

/** The first requirement the image rooted at `source` lacks, if any. */
export async function firstMissing(
  source: string,
  requirements: readonly Requirement[],
): Promise<Requirement | undefined> {
  for (const requirement of requirements) {
    if (!(await pathExists(path.join(source, requirement.file)))) return requirement;
  }
  return undefined;
}

/** Throws BOOTLOADER_NOT_IN_IMAGE for the first missing requirement. */
export async function requireAll(
  backend: BackendName,
  source: string,
  requirements: readonly Requirement[],
): Promise<void> {
  const missing = await firstMissing(source, requirements);
  if (missing) throw errors.notInImage(backend, source, `/${missing.file}`, missing.pkg);
}
