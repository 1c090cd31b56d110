import { promises as fs } from "node:fs";
import { run } from "@particle/runtime";

/** One partition of a disk (image file or block device), in bytes. */
export interface DiskPartition {
  readonly number: number;
  readonly offset: number;
  readonly size: number;
  readonly typeGuid: string;
}

export const BIOS_BOOT_GUID = "21686148-6449-6E6F-744E-656564454649";

/** The partition table of a disk, read with sfdisk. */
export async function readDiskPartitions(disk: string): Promise<DiskPartition[]> {
  const { stdout } = await run("sfdisk", ["--json", disk]);
  const table = (
    JSON.parse(stdout) as {
      partitiontable: {
        sectorsize?: number;
        partitions?: { node: string; start: number; size: number; type: string }[];
      };
    }
  ).partitiontable;
  const sector = table.sectorsize ?? 512;
  return (table.partitions ?? []).map((p) => ({
    number: Number(/(\d+)$/.exec(p.node)?.[1]),
    offset: p.start * sector,
    size: p.size * sector,
    typeGuid: p.type.toUpperCase(),
  }));
}

export async function readAt(disk: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(disk, "r");
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** Writes bytes at an offset of a disk and flushes them before returning. */
export async function writeAtDurable(disk: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await fs.open(disk, "r+");
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
