import path from "node:path";
import { type InstalledPackage, parseDpkgStatus, readFileIfExists } from "@particle/runtime";

/**
 * The versions of `names` (`name` or `name:arch`) among installed packages; missing ones are left
 * out (pure).
 */
export function selectVersions(
  installed: readonly InstalledPackage[],
  names: readonly string[],
): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of names) {
    const match = installed.find((p) => p.name === name || `${p.name}:${p.architecture}` === name);
    if (match !== undefined) found[name] = match.version;
  }
  return found;
}

/** The versions of `names` installed in the image rooted at `source`; missing packages are left out. */
export async function packageVersions(
  source: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  const text = (await readFileIfExists(path.join(source, "var/lib/dpkg/status"))) ?? "";
  return selectVersions(parseDpkgStatus(text), names);
}
