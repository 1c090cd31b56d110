import { promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError } from "./errors.js";

/**
 * Debian's package database: deb822 stanzas and dpkg's `status` file, parsed once for every package
 * (apt-layer's package lists and SBOMs, bootupd's bootloader versions).
 */

/** One installed package as dpkg records it. */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly source?: string;
  readonly sourceVersion?: string;
  readonly maintainer?: string;
  readonly homepage?: string;
  readonly installedSize?: number;
}

/** Splits a deb822 document (dpkg status, Packages files) into stanzas of fields (pure). */
export function parseDeb822(text: string): Record<string, string>[] {
  const stanzas: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (Object.keys(current).length > 0) stanzas.push(current);
      current = {};
      last = undefined;
    } else if (line.startsWith(" ") || line.startsWith("\t")) {
      if (last !== undefined) current[last] = `${current[last]}\n${line.slice(1)}`;
    } else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      current[last] = line.slice(colon + 1).trim();
    }
  }
  if (Object.keys(current).length > 0) stanzas.push(current);
  return stanzas;
}

/**
 * Packages that are installed (`Status: install ok installed`, and held or half-configured ones that
 * are present on disk count too: only `not-installed` and `config-files` are absent), sorted by name
 * then architecture (pure).
 */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const stanza of parseDeb822(text)) {
    const name = stanza.Package;
    const version = stanza.Version;
    const state = stanza.Status?.split(/\s+/)[2];
    if (!name || !version || state === undefined || state === "not-installed" || state === "config-files")
      continue;
    const source = stanza.Source?.match(/^(\S+)(?:\s+\(([^)]+)\))?/);
    const size = Number.parseInt(stanza["Installed-Size"] ?? "", 10);
    packages.push({
      name,
      version,
      architecture: stanza.Architecture ?? "all",
      ...(source ? { source: source[1], ...(source[2] ? { sourceVersion: source[2] } : {}) } : {}),
      ...(stanza.Maintainer ? { maintainer: stanza.Maintainer } : {}),
      ...(stanza.Homepage ? { homepage: stanza.Homepage } : {}),
      ...(Number.isNaN(size) ? {} : { installedSize: size }),
    });
  }
  return packages.sort((a, b) =>
    a.name === b.name ? a.architecture.localeCompare(b.architecture) : a.name < b.name ? -1 : 1,
  );
}

/** The packages installed in a root filesystem (its `var/lib/dpkg/status`, which must exist). */
export async function loadInstalledPackages(root: string): Promise<InstalledPackage[]> {
  const file = path.join(root, "var/lib/dpkg/status");
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw fromSystemError(error, `reading the package database ${file}`, file);
  }
  return parseDpkgStatus(text);
}
