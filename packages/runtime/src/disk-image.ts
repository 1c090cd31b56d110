import { promises as fs } from "node:fs";
import path from "node:path";
import { run, runBinary } from "./exec.js";

/**
 * GPT disks (image files or block devices) written offline, without mounting anything: the host may
 * have neither a vfat driver nor partition scanning of loop devices. The table is written with
 * sfdisk, FAT filesystems with `mkfs.vfat --offset` and mtools (`-i disk@@OFFSET`), and ext4 with
 * `mkfs.ext4 -d DIR` on a separate file copied in at its offset. Used by bootc's `install to-disk`
 * and by test-kit's VM disks, so both write disks the same way.
 */

const SECTOR = 512;
const MiB = 1024 * 1024;

const TYPE_GUIDS = {
  esp: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
  "bios-boot": "21686148-6449-6E6F-744E-656564454649",
  linux: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
  xbootldr: "BC13C2FF-59E6-4262-A352-B275FD6F7172",
} as const;

export type PartitionType = keyof typeof TYPE_GUIDS;

export type PartitionContent =
  /** A FAT filesystem, filled with a copy of `dir` when given. */
  | {
      readonly type: "vfat";
      readonly dir?: string;
      /** @default "ESP" */
      readonly label?: string;
      /** The volume serial (8 hex digits). @default random */
      readonly volumeId?: string;
      /** @default chosen by mkfs.vfat */
      readonly fatSize?: 12 | 16 | 32;
    }
  /** An ext4 filesystem made with `mkfs.ext4 -d dir`. */
  | ({ readonly type: "ext4" } & Ext4Options)
  /** A prebuilt filesystem image copied in as is (e.g. an ext4 file that extlinux was installed on). */
  | { readonly type: "raw"; readonly file: string };

export interface Ext4Options {
  readonly dir?: string;
  readonly label?: string;
  /** @default random */
  readonly uuid?: string;
  /** Fixed filesystem timestamps (seconds since the epoch), for reproducible images. @default now */
  readonly sourceDateEpoch?: number;
}

export interface PartitionSpec {
  readonly sizeMiB: number;
  readonly type: PartitionType;
  readonly name?: string;
  /** GPT attribute bit 2, which syslinux's gptmbr.bin looks for. */
  readonly legacyBootable?: boolean;
  readonly content?: PartitionContent;
}

export interface Partition {
  /** 1-based, as in /dev/sda1. */
  readonly number: number;
  readonly offset: number;
  readonly size: number;
  readonly typeGuid: string;
}

/** The sfdisk script for a GPT with the partitions one after another from 1 MiB (pure). */
export function sfdiskScript(partitions: readonly PartitionSpec[]): string {
  const lines = ["label: gpt", "unit: sectors", "first-lba: 2048"];
  let start = MiB / SECTOR;
  for (const p of partitions) {
    const size = (p.sizeMiB * MiB) / SECTOR;
    const fields = [`start=${start}`, `size=${size}`, `type=${TYPE_GUIDS[p.type]}`];
    if (p.name) fields.push(`name="${p.name}"`);
    if (p.legacyBootable) fields.push(`attrs="LegacyBIOSBootable"`);
    lines.push(fields.join(", "));
    start += size;
  }
  return `${lines.join("\n")}\n`;
}

/** Reads the partition table of an image file or device. */
export async function readPartitions(disk: string): Promise<Partition[]> {
  const { stdout } = await run("sfdisk", ["--json", disk]);
  const table = (
    JSON.parse(stdout) as {
      partitiontable: {
        sectorsize?: number;
        partitions?: { node: string; start: number; size: number; type: string }[];
      };
    }
  ).partitiontable;
  const sector = table.sectorsize ?? SECTOR;
  return (table.partitions ?? []).map((p) => ({
    number: Number(/(\d+)$/.exec(p.node)?.[1]),
    offset: p.start * sector,
    size: p.size * sector,
    typeGuid: p.type.toUpperCase(),
  }));
}

/** `image@@offset`, the mtools way of naming a filesystem inside a disk image. */
export function mtoolsImage(disk: string, partition: Partition): string {
  return `${disk}@@${partition.offset}`;
}

const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: "1" };

/** Copies the contents of `dir` into the root of a FAT partition, overwriting files of the same name. */
export async function copyIntoFat(disk: string, partition: Partition, dir: string): Promise<void> {
  const names = await fs.readdir(dir);
  if (names.length === 0) return;
  await run(
    "mcopy",
    ["-s", "-o", "-m", "-i", mtoolsImage(disk, partition), ...names.map((n) => path.join(dir, n)), "::/"],
    { env: MTOOLS_ENV },
  );
}

/** Every file and directory of a FAT partition, as paths from its root ("EFI/BOOT/BOOTX64.EFI"). */
export async function listFat(disk: string, partition: Partition): Promise<string[]> {
  const { stdout } = await run("mdir", ["-/", "-b", "-i", mtoolsImage(disk, partition), "::/"], {
    env: MTOOLS_ENV,
  });
  return stdout
    .split("\n")
    .map((line) =>
      line
        .trim()
        .replace(/^::\/?/, "")
        .replace(/\/$/, ""),
    )
    .filter(
      (line) => line !== "" && !line.endsWith("/.") && !line.endsWith("/..") && line !== "." && line !== "..",
    )
    .sort();
}

/** One file of a FAT partition. */
export async function readFatFile(disk: string, partition: Partition, file: string): Promise<Buffer> {
  return runBinary(
    "mcopy",
    ["-n", "-i", mtoolsImage(disk, partition), `::/${file.replace(/^\/+/, "")}`, "-"],
    { env: MTOOLS_ENV },
  );
}

/** Makes an ext4 filesystem image file, filled from `dir` when given. */
export async function makeExt4Image(file: string, sizeMiB: number, options: Ext4Options = {}): Promise<void> {
  await fs.rm(file, { force: true });
  // GRUB 2.06 cannot read ext4 with metadata_csum_seed.
  const args = ["-q", "-F", "-t", "ext4", "-O", "^metadata_csum_seed", "-E", "root_owner=0:0"];
  if (options.uuid) args.push("-U", options.uuid);
  if (options.label) args.push("-L", options.label);
  if (options.dir) args.push("-d", options.dir);
  args.push(file, `${sizeMiB}M`);
  await run(
    "mkfs.ext4",
    args,
    options.sourceDateEpoch === undefined
      ? {}
      : { env: { E2FSPROGS_FAKE_TIME: String(options.sourceDateEpoch) } },
  );
}

/** Copies a file into `disk` at `offset` and flushes it before returning. */
async function writeAt(disk: string, offset: number, source: string): Promise<void> {
  const target = await fs.open(disk, "r+");
  try {
    const input = await fs.open(source, "r");
    try {
      const buffer = Buffer.alloc(4 * MiB);
      for (let pos = 0; ; pos += buffer.length) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, pos);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead, offset + pos);
      }
    } finally {
      await input.close();
    }
    await target.sync();
  } finally {
    await target.close();
  }
}

/**
 * Writes a GPT with the given partitions and their filesystems to `disk`, and returns the partition
 * table. An image file is made anew (sparse, at the size the partitions need); a block device is
 * written in place and must be large enough. Filesystem images are staged next to an image file, or
 * in `workDir` when given.
 */
export async function writeDiskImage(
  disk: string,
  partitions: readonly PartitionSpec[],
  options: { readonly workDir?: string } = {},
): Promise<Partition[]> {
  const stat = await fs.stat(disk).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stat === undefined || stat.isFile()) {
    const totalMiB = 2 + partitions.reduce((sum, p) => sum + p.sizeMiB, 0);
    await fs.rm(disk, { force: true });
    await (await fs.open(disk, "w")).close();
    await fs.truncate(disk, totalMiB * MiB);
  }
  await run("sfdisk", ["--quiet", "--no-reread", "--no-tell-kernel", disk], {
    input: sfdiskScript(partitions),
  });
  const table = await readPartitions(disk);
  const stage = (n: number) =>
    path.join(options.workDir ?? path.dirname(disk), `${path.basename(disk)}.p${n}.ext4`);
  for (const [i, spec] of partitions.entries()) {
    const part = table[i];
    const content = spec.content;
    if (part === undefined || content === undefined) continue;
    if (content.type === "vfat") {
      await run("mkfs.vfat", [
        ...(content.fatSize ? ["-F", String(content.fatSize)] : []),
        "--offset",
        String(part.offset / SECTOR),
        ...(content.volumeId ? ["-i", content.volumeId] : []),
        "-n",
        content.label ?? "ESP",
        disk,
        String(part.size / 1024),
      ]);
      if (content.dir) await copyIntoFat(disk, part, content.dir);
    } else if (content.type === "ext4") {
      const temp = stage(part.number);
      try {
        await makeExt4Image(temp, spec.sizeMiB, content);
        await writeAt(disk, part.offset, temp);
      } finally {
        await fs.rm(temp, { force: true });
      }
    } else {
      await writeAt(disk, part.offset, content.file);
    }
  }
  return table;
}
