import { promises as fs } from "node:fs";
import os from "node:os";
import { failpoint, run, sha256File, Transaction } from "@particle/runtime";
import { publishStaged, stagingFile } from "./blobs.js";
import { StoreErrors } from "./errors.js";
import type { StorePaths } from "./layout.js";
import { type Descriptor, MediaType } from "./oci-spec.js";

export type LayerFormat = "squashfs" | "erofs";
export type LayerCompression = "zstd" | "lz4" | "gzip" | "xz" | "none";

export interface CreateLayerOptions {
  /** @default "squashfs" */
  readonly format?: LayerFormat;
  /** @default "zstd" for squashfs, "lz4" (lz4hc) for erofs */
  readonly compression?: LayerCompression | string;
  /** zstd 1-22, gzip 1-9, lz4hc 1-12. @default 3 */
  readonly level?: number;
  /**
   * Reproducible-builds timestamp. squashfs: file times later than it are clamped to it (times are
   * otherwise kept and the image is reproducible anyway). erofs: every timestamp is set to it, which
   * is the only way mkfs.erofs 1.5 makes a reproducible image; without it erofs keeps the mtimes but
   * records the build time.
   */
  readonly sourceDateEpoch?: number;
}

export interface MkfsCommand {
  readonly file: string;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
}

export function layerMediaType(format: LayerFormat): string {
  return format === "erofs" ? MediaType.particleErofs : MediaType.particleSquashfs;
}

/** The filesystem of a native layer media type, or undefined for any other media type (pure). */
export function layerFormatOf(mediaType: string): LayerFormat | undefined {
  if (mediaType === MediaType.particleSquashfs) return "squashfs";
  if (mediaType === MediaType.particleErofs) return "erofs";
  return undefined;
}

const SQUASHFS_COMPRESSION: Record<string, (level: number) => string[]> = {
  zstd: (level) => ["-comp", "zstd", "-Xcompression-level", String(Math.min(Math.max(level, 1), 22))],
  gzip: (level) => ["-comp", "gzip", "-Xcompression-level", String(Math.min(Math.max(level, 1), 9))],
  xz: () => ["-comp", "xz"],
  lz4: () => ["-comp", "lz4"],
  none: () => ["-noI", "-noD", "-noF", "-noX"],
};

// erofs-utils 1.5 (Debian 12) has lz4 and lz4hc only.
const EROFS_COMPRESSION: Record<string, (level: number) => string[]> = {
  lz4: (level) => [`-zlz4hc,${Math.min(Math.max(level, 1), 12)}`],
  none: () => [],
};

/**
 * mksquashfs's cache (`-mem`): its default is a quarter of RAM, which made it the peak of every
 * desktop build (2.5 GiB on 24 GiB) with no gain: 512 MiB built /usr as fast, byte for byte the same
 * image (recipes/README.md). A machine with less than 2 GiB keeps the quarter, but at least 64 MiB.
 */
export function squashfsCacheMiB(totalMemoryBytes: number): number {
  return Math.max(64, Math.min(512, Math.floor(totalMemoryBytes / 4 / 2 ** 20)));
}

/** The mkfs command that turns `dir` into a layer image at `out` (pure but for the machine's RAM size). */
export function mkfsCommand(dir: string, out: string, options: CreateLayerOptions = {}): MkfsCommand {
  const format = options.format ?? "squashfs";
  const level = options.level ?? 3;
  const epoch = options.sourceDateEpoch;
  if (format === "squashfs") {
    const compression = options.compression ?? "zstd";
    const flags = SQUASHFS_COMPRESSION[compression];
    if (flags === undefined)
      throw StoreErrors.unsupportedCompression(format, compression, Object.keys(SQUASHFS_COMPRESSION));
    // mksquashfs refuses -mkfs-time together with SOURCE_DATE_EPOCH, so exactly one of them is set.
    const time = epoch === undefined ? ["-mkfs-time", "0"] : [];
    return {
      file: "mksquashfs",
      args: [
        dir,
        out,
        "-noappend",
        "-quiet",
        "-no-progress",
        "-mem",
        `${squashfsCacheMiB(os.totalmem())}M`,
        ...flags(level),
        ...time,
      ],
      env: { SOURCE_DATE_EPOCH: epoch === undefined ? undefined : String(epoch) },
    };
  }
  const compression = options.compression ?? "lz4";
  const flags = EROFS_COMPRESSION[compression];
  if (flags === undefined)
    throw StoreErrors.unsupportedCompression(format, compression, Object.keys(EROFS_COMPRESSION));
  const time = epoch === undefined ? ["--preserve-mtime"] : ["-T", String(epoch)];
  return {
    file: "mkfs.erofs",
    // A fixed UUID: a random one would make every build of the same tree a different blob.
    args: [...flags(level), ...time, "-U", "00000000-0000-0000-0000-000000000000", "--quiet", out, dir],
    env: { SOURCE_DATE_EPOCH: undefined },
  };
}

/** Refuses a layer source that is not a directory (callers check all sources before changing anything). */
export async function checkLayerSource(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw StoreErrors.notADirectory(dir);
}

/** A layer image built and hashed in the staging area, not yet in blobs/. */
export interface BuiltLayer {
  readonly staged: string;
  readonly descriptor: Descriptor;
}

/**
 * Builds a layer image from a directory tree (a root filesystem or an overlay upper: whiteouts,
 * opaque directories and other xattrs, hardlinks, devices and sparse files are kept by the
 * filesystem image) into the staging area and hashes it. Needs no lock, so long builds do not hold
 * up other writers; a kill leaves a staging file named with this pid, which the next writer removes.
 */
export async function buildLayer(
  paths: StorePaths,
  dir: string,
  options: CreateLayerOptions = {},
): Promise<BuiltLayer> {
  await checkLayerSource(dir);
  const staged = stagingFile(paths, "layer");
  const command = mkfsCommand(dir, staged, options);
  try {
    await run(command.file, command.args, { env: command.env });
    failpoint("store.create/built");
    const digest = `sha256:${await sha256File(staged)}`;
    const size = (await fs.stat(staged)).size;
    failpoint("store.create/hashed");
    return { staged, descriptor: { mediaType: layerMediaType(options.format ?? "squashfs"), digest, size } };
  } catch (error) {
    await fs.rm(staged, { force: true });
    throw error;
  }
}

/**
 * Moves a built layer into blobs/ (or drops it when the blob exists). Journaled as `store.create`;
 * recovery removes the staging file. Hold the writer lock.
 */
export async function publishLayer(paths: StorePaths, built: BuiltLayer): Promise<Descriptor> {
  const tx = await Transaction.begin(paths.journalDir, "store.create", { staged: built.staged });
  try {
    await publishStaged(paths, built.staged, built.descriptor.digest);
    await tx.step("published");
    return built.descriptor;
  } finally {
    await fs.rm(built.staged, { force: true });
    await tx.commit();
  }
}

/** Undoes an interrupted `store.create`: its staging file is incomplete or unpublished. */
export async function recoverCreate(intent: Record<string, unknown>): Promise<void> {
  if (typeof intent.staged === "string") await fs.rm(intent.staged, { force: true });
}
