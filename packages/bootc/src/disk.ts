import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import { run } from "@particle/runtime";

/**
 * Writes a GPT disk (an image file or a block device) offline, without mounting anything: the host may
 * have no vfat driver and no partition scanning of loop devices. The ESP is made with
 * `mkfs.vfat --offset` and filled with mtools; the root is an ext4 image made with `mkfs.ext4 -d` from
 * a prepared tree and written at its offset.
 */

const SECTOR = 512;
const MiB = 1024 * 1024;
const ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const LINUX_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

export interface DiskLayout {
  readonly espMiB: number;
  readonly rootMiB: number;
  /** The root filesystem's UUID (root=UUID=… on the kernel command line). */
  readonly rootUuid: string;
}

/** The sfdisk script: ESP then root, 1 MiB aligned (pure). */
export function diskScript(layout: DiskLayout): string {
  const espStart = MiB / SECTOR;
  const rootStart = espStart + (layout.espMiB * MiB) / SECTOR;
  return [
    "label: gpt",
    "unit: sectors",
    `start=${espStart}, size=${(layout.espMiB * MiB) / SECTOR}, type=${ESP_TYPE}, name="ESP"`,
    `start=${rootStart}, size=${(layout.rootMiB * MiB) / SECTOR}, type=${LINUX_TYPE}, name="root"`,
    "",
  ].join("\n");
}

export function newRootUuid(): string {
  return randomUUID();
}

async function writeAt(disk: string, offset: number, source: string): Promise<void> {
  const target = await fs.open(disk, "r+");
  const input = await fs.open(source, "r");
  try {
    const buffer = Buffer.alloc(4 * MiB);
    for (let pos = 0; ; pos += buffer.length) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, pos);
      if (bytesRead === 0) break;
      await target.write(buffer, 0, bytesRead, offset + pos);
    }
    await target.sync();
  } finally {
    await input.close();
    await target.close();
  }
}

/**
 * Partitions `disk` and writes both filesystems: the ESP from `espDir`, the root from `rootDir`.
 * An image file is created (sparse) at the right size; a block device must be large enough.
 */
export async function writeDisk(
  disk: string,
  layout: DiskLayout,
  espDir: string,
  rootDir: string,
  work: string,
): Promise<void> {
  const total = (2 + layout.espMiB + layout.rootMiB) * MiB;
  const st = await fs.stat(disk).catch(() => undefined);
  if (st === undefined || st.isFile()) {
    await (await fs.open(disk, "w")).close();
    await fs.truncate(disk, total);
  }
  await run("sfdisk", ["--quiet", "--no-reread", "--no-tell-kernel", disk], { input: diskScript(layout) });
  const espOffset = MiB;
  const rootOffset = espOffset + layout.espMiB * MiB;
  // Pick the FAT size from the partition, not from the whole disk mkfs.vfat sees (FAT32 needs >= 260 MiB).
  await run("mkfs.vfat", [
    "-F",
    layout.espMiB >= 260 ? "32" : "16",
    "--offset",
    String(espOffset / SECTOR),
    "-n",
    "ESP",
    disk,
    String((layout.espMiB * MiB) / 1024),
  ]);
  const names = await fs.readdir(espDir);
  if (names.length > 0) {
    await run(
      "mcopy",
      ["-s", "-o", "-m", "-i", `${disk}@@${espOffset}`, ...names.map((n) => `${espDir}/${n}`), "::/"],
      {
        env: { MTOOLS_SKIP_CHECK: "1" },
      },
    );
  }
  const rootImage = `${work}/root.ext4`;
  // GRUB 2.06 cannot read ext4 with metadata_csum_seed.
  await run("mkfs.ext4", [
    "-q",
    "-F",
    "-t",
    "ext4",
    "-O",
    "^metadata_csum_seed",
    "-U",
    layout.rootUuid,
    "-L",
    "particle-root",
    "-E",
    "root_owner=0:0",
    "-d",
    rootDir,
    rootImage,
    `${layout.rootMiB}M`,
  ]);
  await writeAt(disk, rootOffset, rootImage);
  await fs.rm(rootImage, { force: true });
}
