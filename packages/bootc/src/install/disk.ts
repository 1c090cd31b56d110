import { type PartitionSpec, sfdiskScript, writeDiskImage } from "@particle/runtime";

/**
 * The disk `install to-disk` writes: an ESP then the root, written offline by @particle/runtime's GPT
 * writer (nothing is mounted: the host may have no vfat driver and no partition scanning of loops).
 */

export interface DiskLayout {
  readonly espMiB: number;
  readonly rootMiB: number;
  /** The root filesystem's UUID (root=UUID=… on the kernel command line). */
  readonly rootUuid: string;
}

function partitions(layout: DiskLayout, espDir?: string, rootDir?: string): PartitionSpec[] {
  return [
    {
      sizeMiB: layout.espMiB,
      type: "esp",
      name: "ESP",
      // From the partition's size, not the whole disk's (FAT32 needs >= 260 MiB).
      content: {
        type: "vfat",
        label: "ESP",
        fatSize: layout.espMiB >= 260 ? 32 : 16,
        ...(espDir ? { dir: espDir } : {}),
      },
    },
    {
      sizeMiB: layout.rootMiB,
      type: "linux",
      name: "root",
      content: {
        type: "ext4",
        uuid: layout.rootUuid,
        label: "particle-root",
        ...(rootDir ? { dir: rootDir } : {}),
      },
    },
  ];
}

/** The sfdisk script: ESP then root, 1 MiB aligned (pure). */
export function diskScript(layout: DiskLayout): string {
  return sfdiskScript(partitions(layout));
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
  await writeDiskImage(disk, partitions(layout, espDir, rootDir), { workDir: work });
}
