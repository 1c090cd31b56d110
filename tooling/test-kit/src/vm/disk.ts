import {
  makeExt4Image as makeExt4,
  type Partition,
  type PartitionContent,
  type PartitionSpec,
  writeDiskImage,
} from "@particle/runtime";

/**
 * VM disk image files, written by @particle/runtime's offline GPT writer (the one bootc's
 * `install to-disk` uses), with fixed filesystem ids and times so that test disks are reproducible.
 * Partition tables and FAT files are read with the runtime's own functions (`readPartitions`, `listFat` …).
 */

const FAT_VOLUME_ID = "50A71C1E";
const SOURCE_DATE_EPOCH = 1700000000;

function reproducible(content: PartitionContent | undefined): PartitionContent | undefined {
  if (content?.type === "vfat") return { volumeId: FAT_VOLUME_ID, ...content };
  if (content?.type === "ext4") return { sourceDateEpoch: SOURCE_DATE_EPOCH, ...content };
  return content;
}

/** Makes an ext4 filesystem image file, filled from `dir` when given. */
export function makeExt4Image(
  file: string,
  sizeMiB: number,
  options: { dir?: string; label?: string } = {},
): Promise<void> {
  return makeExt4(file, sizeMiB, { sourceDateEpoch: SOURCE_DATE_EPOCH, ...options });
}

/**
 * Creates a sparse GPT disk image file with the given partitions and their filesystems, and returns
 * the partition table. The image is rewritten from scratch if it exists.
 */
export function createDiskImage(file: string, partitions: readonly PartitionSpec[]): Promise<Partition[]> {
  return writeDiskImage(
    file,
    partitions.map((p) => {
      const content = reproducible(p.content);
      return content === undefined ? p : { ...p, content };
    }),
  );
}
