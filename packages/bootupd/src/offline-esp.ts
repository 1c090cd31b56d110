import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readPartitions, run } from "@particle/runtime";
import { errors } from "./errors.js";
import { type BootTarget, resolveTarget, type TargetInput } from "./target.js";

/**
 * The ESP of a disk image that is not mounted (the build host may have no vfat driver and no
 * partition scanning): copied out with mtools into a temporary directory, worked on as a directory,
 * and copied back when the work succeeded. The image is untouched until the copy back, which is not
 * atomic: this is for building images, not for a live ESP.
 */
const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: "1" };

export interface OfflineTargetInput extends TargetInput {
  /** The ESP's partition number on `disk`, when the ESP is inside a disk image. */
  readonly espPartition?: number;
}

async function espOffset(disk: string, number: number): Promise<string> {
  const partition = (await readPartitions(disk)).find((p) => p.number === number);
  if (partition === undefined) throw errors.partitionNotFound(disk, number);
  return `${disk}@@${partition.offset}`;
}

async function copyBack(image: string, dir: string): Promise<void> {
  const { stdout } = await run("mdir", ["-b", "-i", image, "::/"], { env: MTOOLS_ENV });
  for (const line of stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)) {
    const name = line.replace(/^::\/?/, "");
    if (name.endsWith("/"))
      await run("mdeltree", ["-i", image, `::/${name.slice(0, -1)}`], { env: MTOOLS_ENV });
    else await run("mdel", ["-i", image, `::/${name}`], { env: MTOOLS_ENV });
  }
  const names = await fs.readdir(dir);
  if (names.length > 0)
    await run("mcopy", ["-s", "-m", "-i", image, ...names.map((n) => path.join(dir, n)), "::/"], {
      env: MTOOLS_ENV,
    });
}

/**
 * Runs `body` on a target; with `espPartition`, the ESP (and, unless `boot` is given, the boot
 * filesystem) is that partition of the disk image. `write: false` never copies back.
 */
export async function withTarget<T>(
  input: OfflineTargetInput,
  options: { write: boolean },
  body: (target: BootTarget) => Promise<T>,
): Promise<T> {
  if (input.espPartition === undefined) return body(await resolveTarget(input));
  if (input.disk === undefined) throw errors.espPartitionNeedsDisk();
  const image = await espOffset(input.disk, input.espPartition);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "particle-esp-"));
  try {
    await run("mcopy", ["-s", "-n", "-m", "-i", image, "::*", dir], { env: MTOOLS_ENV }).catch(
      async (error) => {
        // An empty FAT filesystem has nothing to match.
        if ((await run("mdir", ["-b", "-i", image, "::/"], { env: MTOOLS_ENV })).stdout.trim() !== "")
          throw error;
      },
    );
    const result = await body(await resolveTarget({ ...input, esp: dir, boot: input.boot ?? dir }));
    if (options.write) await copyBack(image, dir);
    return result;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
