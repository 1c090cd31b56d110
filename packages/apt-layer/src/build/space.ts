import { promises as fs } from "node:fs";
import { notEnoughSpace } from "../errors.js";

/** Bytes available to an unprivileged writer on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stat = await fs.statfs(dir);
  return Number(stat.bavail) * Number(stat.bsize);
}

/** Fails with NO_SPACE, before any work, when `dir` has less than `needBytes` free. */
export async function checkFreeSpace(dir: string, needBytes: number): Promise<void> {
  const free = await freeBytes(dir);
  if (free < needBytes) throw notEnoughSpace(dir, needBytes, free);
}
