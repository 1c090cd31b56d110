import path from "node:path";
import { pathExists } from "@particle/runtime";
import { packageVersions } from "../dpkg.js";
import { errors } from "../errors.js";
import type { BackendName } from "../spec.js";
import type { Detection } from "./types.js";

/** A file the image must carry for a backend, and the Debian package that ships it. */
export interface Requirement {
  readonly file: string;
  readonly pkg: string;
}

/** The first requirement the image rooted at `source` lacks, if any. */
async function firstMissing(
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

/**
 * A backend's `detect`: available when the image carries every requirement, with the versions of
 * `packages` (the component's version) read from the image's dpkg database.
 */
export async function detectRequirements(
  backend: BackendName,
  source: string,
  requirements: readonly Requirement[],
  packages: readonly string[],
): Promise<Detection> {
  const missing = await firstMissing(source, requirements);
  return {
    backend,
    available: missing === undefined,
    ...(missing ? { missing: `/${missing.file} (${missing.pkg})` } : {}),
    packages: await packageVersions(source, packages),
  };
}
