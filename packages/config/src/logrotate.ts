import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { checkResult, fsyncDir, fsyncFile, processFiles, spawnTool } from "@particle/runtime";

/**
 * Log rotation without losing a line: the live file is renamed (atomic; a writer holding it open keeps
 * appending to the renamed file, a writer that reopens creates a fresh one), and a rotated file is
 * compressed only once no process holds it open, to a temp name that is renamed into place.
 */

export interface RotateOptions {
  /** Glob patterns; wildcards (`*`, `?`) are allowed in the file name part only. */
  readonly patterns: readonly string[];
  readonly maxSizeBytes: number;
  /** 0 disables age-based rotation and pruning. */
  readonly maxAgeDays: number;
  readonly keep: number;
  readonly compression: "zstd" | "gzip" | "none";
  /** Rotate every non-empty file regardless of size and age. @default false */
  readonly force?: boolean;
  /** @default new Date() */
  readonly now?: Date;
}

export interface RotateReport {
  readonly rotated: { readonly from: string; readonly to: string }[];
  readonly compressed: string[];
  readonly deleted: string[];
  /** Rotated files still held open by a writer: compressed on a later run. */
  readonly deferred: string[];
}

const ROTATED = /^(.*)\.(\d{8}T\d{6}Z)(?:-(\d+))?(\.zst|\.gz)?$/;

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  return new RegExp(`^${escaped}$`);
}

/** `20261125T180102Z` (pure). */
export function rotationStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Splits a rotated file name into its base log name and stamp, or undefined (pure). */
export function parseRotatedName(
  name: string,
): { base: string; stamp: string; compressed: boolean } | undefined {
  const match = ROTATED.exec(name);
  if (!match) return undefined;
  return {
    base: match[1] ?? "",
    stamp: `${match[2]}${match[3] ? `-${match[3].padStart(4, "0")}` : ""}`,
    compressed: Boolean(match[4]),
  };
}

/** Which rotated files to delete: beyond `keep` newest, or older than the age limit (pure). */
export function selectForDeletion(
  rotated: readonly { name: string; stamp: string; mtimeMs: number }[],
  keep: number,
  maxAgeDays: number,
  nowMs: number,
): string[] {
  const newestFirst = [...rotated].sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0));
  return newestFirst
    .filter(
      (entry, index) => index >= keep || (maxAgeDays > 0 && nowMs - entry.mtimeMs > maxAgeDays * 86_400_000),
    )
    .map((entry) => entry.name);
}

async function expand(pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  const matcher = globToRegExp(path.basename(pattern));
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!matcher.test(name) || parseRotatedName(name) || name.startsWith(".")) continue;
    const stat = await fs.lstat(path.join(dir, name));
    if (stat.isFile()) files.push(path.join(dir, name));
  }
  return files;
}

/** Files that some process has open. */
async function openFiles(): Promise<Set<string>> {
  return new Set((await processFiles()).flatMap((p) => p.files));
}

async function compressFile(file: string, compression: "zstd" | "gzip"): Promise<string> {
  const final = `${file}${compression === "zstd" ? ".zst" : ".gz"}`;
  const temp = path.join(path.dirname(file), `.${path.basename(final)}.tmp`);
  if (compression === "gzip") {
    await pipeline(createReadStream(file), createGzip(), createWriteStream(temp, { mode: 0o640 }));
  } else {
    const child = spawnTool("zstd", ["-q", "-3", "-c", file]);
    await pipeline(child.stdout!, createWriteStream(temp, { mode: 0o640 }));
    checkResult("zstd", ["-q", "-3", "-c", file], await child);
  }
  await fsyncFile(temp);
  await fs.rename(temp, final);
  await fsyncDir(path.dirname(file));
  await fs.unlink(file);
  await fsyncDir(path.dirname(file));
  return final;
}

function dueForRotation(
  stat: { size: number; birthtimeMs: number; ctimeMs: number },
  options: RotateOptions,
  nowMs: number,
): boolean {
  if (stat.size === 0) return false;
  if (options.force || stat.size > options.maxSizeBytes) return true;
  const born = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.ctimeMs;
  return options.maxAgeDays > 0 && nowMs - born > options.maxAgeDays * 86_400_000;
}

async function uniqueRotatedName(file: string, stamp: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = `${file}.${stamp}${n === 0 ? "" : `-${n}`}`;
    const taken = await Promise.all(
      [candidate, `${candidate}.zst`, `${candidate}.gz`].map((p) =>
        fs.access(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!taken.includes(true)) return candidate;
  }
}

export async function rotateLogs(options: RotateOptions): Promise<RotateReport> {
  const now = options.now ?? new Date();
  const report: RotateReport = { rotated: [], compressed: [], deleted: [], deferred: [] };
  const files = (await Promise.all(options.patterns.map(expand))).flat();
  for (const file of [...new Set(files)]) {
    const stat = await fs.stat(file);
    if (!dueForRotation(stat, options, now.getTime())) continue;
    const to = await uniqueRotatedName(file, rotationStamp(now));
    await fs.rename(file, to);
    await fsyncDir(path.dirname(file));
    report.rotated.push({ from: file, to });
  }
  const open = options.compression === "none" ? new Set<string>() : await openFiles();
  const dirs = new Set(options.patterns.map((p) => path.dirname(p)));
  const bases = new Set(files.map((f) => path.basename(f)));
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue;
    }
    const byBase = new Map<string, { name: string; stamp: string; mtimeMs: number }[]>();
    for (const name of names) {
      const parsed = parseRotatedName(name);
      if (!parsed || !bases.has(parsed.base)) continue;
      let full = path.join(dir, name);
      if (!parsed.compressed && options.compression !== "none") {
        if (open.has(full)) {
          report.deferred.push(full);
        } else {
          full = await compressFile(full, options.compression);
          report.compressed.push(full);
        }
      }
      const stat = await fs.stat(full);
      const list = byBase.get(parsed.base) ?? [];
      list.push({ name: full, stamp: parsed.stamp, mtimeMs: stat.mtimeMs });
      byBase.set(parsed.base, list);
    }
    for (const list of byBase.values()) {
      for (const victim of selectForDeletion(list, options.keep, options.maxAgeDays, now.getTime())) {
        if (report.deferred.includes(victim)) continue;
        await fs.unlink(victim);
        report.deleted.push(victim);
      }
    }
    await fsyncDir(dir).catch(() => undefined);
  }
  return report;
}
