import { promises as fs } from "node:fs";
import path from "node:path";
import { mkdirDurable, sha256File, writeFileAtomic } from "@particle/runtime";
import { blobFile, type StorePaths } from "./layout.js";
import { digestHex } from "./refs.js";

export type BlobState = "ok" | "missing" | "corrupt";

/**
 * Checks a blob's content against its digest. Hashing a large layer on every mount costs seconds, so
 * a successful check leaves a stamp (inode, size, ctime in ns) and `cached` checks trust a blob whose
 * stamp still matches: any write to the file, chmod or replacement changes its ctime. Corruption
 * below the filesystem (bit rot) does not, which is why `verify` always re-hashes (cached: false).
 */
export async function checkBlob(
  paths: StorePaths,
  digest: string,
  options: { cached: boolean; size?: number },
): Promise<BlobState> {
  const file = blobFile(paths, digest);
  let stat: import("node:fs").BigIntStats;
  try {
    stat = await fs.stat(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  if (options.size !== undefined && BigInt(options.size) !== stat.size) return "corrupt";
  const stampFile = path.join(paths.verifiedDir, digestHex(digest));
  const stamp = `${stat.ino}:${stat.size}:${stat.ctimeNs}`;
  if (options.cached && (await fs.readFile(stampFile, "utf8").catch(() => "")) === stamp) return "ok";
  const actual = `sha256:${await sha256File(file)}`;
  if (actual !== digest) {
    await fs.rm(stampFile, { force: true });
    return "corrupt";
  }
  await mkdirDurable(paths.verifiedDir);
  await writeFileAtomic(stampFile, stamp);
  return "ok";
}

/** Drops a blob's stamp (when the blob is deleted). */
export async function forgetBlob(paths: StorePaths, digest: string): Promise<void> {
  await fs.rm(path.join(paths.verifiedDir, digestHex(digest)), { force: true });
}
