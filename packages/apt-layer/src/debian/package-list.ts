import type { InstalledPackage } from "@particle/runtime";
import { labelInvalid } from "../errors.js";
import { compareDebianVersions } from "./version.js";

/**
 * An image's package list as stored in its `packages` label: one `name:arch=version` string per
 * package, sorted. Compact enough for a desktop image (a few thousand entries) and readable as is.
 */
export interface PackageEntry {
  readonly name: string;
  readonly architecture: string;
  readonly version: string;
}

export function encodePackageList(packages: readonly InstalledPackage[]): string {
  return JSON.stringify(packages.map((p) => `${p.name}:${p.architecture}=${p.version}`));
}

export function decodePackageList(label: string): PackageEntry[] {
  const items = JSON.parse(label) as unknown;
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => {
    const m = typeof item === "string" ? /^([^:=]+):([^=]+)=(.+)$/.exec(item) : null;
    return m ? [{ name: m[1] as string, architecture: m[2] as string, version: m[3] as string }] : [];
  });
}

export interface PackageChange {
  readonly name: string;
  readonly architecture: string;
  readonly from: string;
  readonly to: string;
}

export interface PackageDiff {
  readonly added: PackageEntry[];
  readonly removed: PackageEntry[];
  readonly upgraded: PackageChange[];
  readonly downgraded: PackageChange[];
}

/** What changed from package list `a` to `b`, by name and architecture (pure). */
export function diffPackageLists(a: readonly PackageEntry[], b: readonly PackageEntry[]): PackageDiff {
  const key = (p: PackageEntry) => `${p.name}:${p.architecture}`;
  const before = new Map(a.map((p) => [key(p), p]));
  const after = new Map(b.map((p) => [key(p), p]));
  const diff: PackageDiff = { added: [], removed: [], upgraded: [], downgraded: [] };
  for (const [k, p] of after) {
    const old = before.get(k);
    if (!old) diff.added.push(p);
    else {
      const cmp = compareDebianVersions(old.version, p.version);
      const change = { name: p.name, architecture: p.architecture, from: old.version, to: p.version };
      if (cmp < 0) diff.upgraded.push(change);
      else if (cmp > 0) diff.downgraded.push(change);
    }
  }
  for (const [k, p] of before) if (!after.has(k)) diff.removed.push(p);
  return diff;
}

/**
 * A string-list label (`requested`, `removed`) of an image; absent means empty. A label that is not a
 * JSON list of strings fails with IMAGE_LABEL_INVALID rather than passing for an empty list (pure).
 */
export function labelList(labels: Readonly<Record<string, string>>, key: string): string[] {
  const text = labels[key];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw labelInvalid(key, text);
  }
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string"))
    throw labelInvalid(key, text);
  return value;
}
