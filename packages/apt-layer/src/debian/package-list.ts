import type { InstalledPackage } from "@particle/runtime";
import { labelInvalid } from "../errors.js";
import { LABELS, LocalPackageRecord } from "../spec.js";
import { compareDebianVersions } from "./version.js";

/**
 * An image's package list as stored in its `packages` label: one `name:arch=version` string per
 * package, sorted. Compact enough for a desktop image (a few thousand entries) and readable as is.
 */
export interface PackageEntry {
  readonly name: string;
  readonly architecture: string;
  readonly version: string;
  /** `local`: installed from a local .deb file (whose SHA-256 is `sha256`), not from an archive. */
  readonly origin?: "local";
  readonly sha256?: string;
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

/** The packages an image got from local .deb files (its `local` label; absent means none). */
export function localPackageRecords(labels: Readonly<Record<string, string>>): LocalPackageRecord[] {
  const text = labels[LABELS.local];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw labelInvalid(LABELS.local, text);
  }
  const parsed = LocalPackageRecord.array().safeParse(value);
  if (!parsed.success) throw labelInvalid(LABELS.local, text);
  return parsed.data;
}

const entryKey = (p: { name: string; architecture: string }) => `${p.name}:${p.architecture}`;

/**
 * The local packages of an image built on a base (pure): the base's and this build's, each kept
 * only while the image still has that version of it installed (an upgrade from the archive or a
 * removal drops it).
 */
export function mergeLocalPackages(
  base: readonly LocalPackageRecord[],
  added: readonly LocalPackageRecord[],
  installed: readonly InstalledPackage[],
): LocalPackageRecord[] {
  const present = new Set(installed.map((p) => `${entryKey(p)}=${p.version}`));
  const kept = new Map<string, LocalPackageRecord>();
  for (const p of [...base, ...added])
    if (present.has(`${entryKey(p)}=${p.version}`)) kept.set(entryKey(p), p);
  return [...kept.values()].sort((a, b) => entryKey(a).localeCompare(entryKey(b)));
}

/** Marks the entries of a package list that came from local .debs (pure). */
export function markLocalPackages(
  packages: readonly PackageEntry[],
  local: readonly LocalPackageRecord[],
): PackageEntry[] {
  const byKey = new Map(local.map((p) => [`${entryKey(p)}=${p.version}`, p]));
  return packages.map((p) => {
    const record = byKey.get(`${entryKey(p)}=${p.version}`);
    return record ? { ...p, origin: "local", sha256: record.sha256 } : p;
  });
}
