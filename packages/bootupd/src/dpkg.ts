import path from "node:path";
import { readFileIfExists } from "@particle/runtime";

/** Versions of the installed packages in a dpkg `status` file (pure). */
export function parseDpkgStatus(text: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    const name = field("Package");
    const version = field("Version");
    const status = field("Status");
    if (!name || !version || !status?.endsWith(" installed")) continue;
    const arch = field("Architecture");
    versions.set(name, version);
    if (arch && arch !== "all") versions.set(`${name}:${arch}`, version);
  }
  return versions;
}

/** The versions of `names` installed in the image rooted at `source`; missing packages are left out. */
export async function packageVersions(
  source: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  const text = (await readFileIfExists(path.join(source, "var/lib/dpkg/status"))) ?? "";
  const installed = parseDpkgStatus(text);
  const found: Record<string, string> = {};
  for (const name of names) {
    const version = installed.get(name);
    if (version !== undefined) found[name] = version;
  }
  return found;
}
