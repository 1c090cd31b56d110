import { createHash } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { bindMount, fromSystemError, isParticleError, parseDeb822 } from "@particle/runtime";
import type { BuildEnvironment } from "../build-env/environment.js";
import { localDebInvalid } from "../errors.js";
import { LocalPackageRecord } from "../spec.js";

/**
 * Local .deb files, installed by apt as it installs `./x.deb`: each is an untrusted input, opened
 * without following a link, refused unless it is a regular file within a size bound, and copied
 * (hashed as it is copied) into the build's own directory. apt then reads that copy, bound
 * read-only into the build root, so what is installed is exactly what was hashed, and the file
 * never lands in a layer.
 */

/** The largest .deb accepted (Debian's largest packages, debug symbols, stay well below). */
export const MAX_LOCAL_DEB_BYTES = 2 * 2 ** 30;

/** Where the copies appear inside the build root (a tmpfs of the environment). */
export const LOCAL_DEB_DIR = "/run/apt-layer/local";

/** A local .deb as a build is asked for it: a host path, and the SHA-256 it must have if known. */
export interface LocalDebInput {
  readonly path: string;
  readonly sha256?: string;
}

export interface LocalDebDigest {
  readonly sha256: string;
  readonly size: number;
}

/** A copy made for a build: its digest and its path inside the build root. */
export interface StagedDeb extends LocalDebDigest {
  readonly source: string;
  readonly inside: string;
}

/**
 * An argument of `apt-layer BASE NEW ARG...` is a local .deb when it has a slash, as apt reads
 * `./x.deb` (pure).
 */
export function isLocalDebArg(arg: string): boolean {
  return arg.includes("/");
}

const CHUNK = 1024 * 1024;

/**
 * Reads a local .deb once, with the checks of an untrusted input, hashing it and, with `copyTo`,
 * writing the same bytes to a new file there.
 */
async function readLocalDeb(source: string, copyTo?: string): Promise<LocalDebDigest> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    handle = await fs.open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      throw localDebInvalid(source, "is a symbolic link (give the path of the file itself)");
    throw fromSystemError(error, `opening the local package ${source}`, source);
  }
  let out: fs.FileHandle | undefined;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw localDebInvalid(source, "is not a regular file");
    if (stat.size > MAX_LOCAL_DEB_BYTES)
      throw localDebInvalid(source, `is larger than ${MAX_LOCAL_DEB_BYTES / 2 ** 30} GiB`);
    if (copyTo !== undefined) out = await fs.open(copyTo, "wx", 0o644);
    const hash = createHash("sha256");
    const buffer = Buffer.alloc(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      // The file may grow while it is read: the bound holds for the bytes read, not the stat.
      if (size > MAX_LOCAL_DEB_BYTES)
        throw localDebInvalid(source, `is larger than ${MAX_LOCAL_DEB_BYTES / 2 ** 30} GiB`);
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (out) await out.write(chunk);
    }
    if (out) await out.sync();
    return { sha256: hash.digest("hex"), size };
  } finally {
    await out?.close();
    await handle.close();
  }
}

/** The digest of a local .deb, read with the same checks as a build (recipes key their cache on it). */
export function digestLocalDeb(source: string): Promise<LocalDebDigest> {
  return readLocalDeb(source);
}

/**
 * Copies the local .debs into `dir` (the build's scratch directory) as `<sha256>.deb`; a digest
 * that differs from the one the caller expects (the file changed since) fails.
 */
export async function stageLocalDebs(inputs: readonly LocalDebInput[], dir: string): Promise<StagedDeb[]> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const staged: StagedDeb[] = [];
  for (const input of inputs) {
    const temp = path.join(dir, `incoming-${staged.length}`);
    const digest = await readLocalDeb(input.path, temp);
    if (input.sha256 !== undefined && input.sha256 !== digest.sha256)
      throw localDebInvalid(input.path, "changed while the build read it; run the build again");
    const name = `${digest.sha256}.deb`;
    await fs.rename(temp, path.join(dir, name));
    if (!staged.some((s) => s.sha256 === digest.sha256))
      staged.push({ ...digest, source: input.path, inside: `${LOCAL_DEB_DIR}/${name}` });
  }
  return staged;
}

/** Binds the staged copies read-only into the environment's /run (a tmpfs of its own). */
export async function bindLocalDebs(env: BuildEnvironment, dir: string): Promise<void> {
  const target = path.join(env.root, LOCAL_DEB_DIR);
  await fs.mkdir(target, { recursive: true });
  await bindMount(dir, target, { readOnly: true });
}

/** The control fields of a staged .deb, read by dpkg-deb inside the environment (no network). */
export async function readLocalDebFields(env: BuildEnvironment, deb: StagedDeb): Promise<LocalPackageRecord> {
  let stdout: string;
  try {
    ({ stdout } = await env.run(["dpkg-deb", "--field", deb.inside, "Package", "Version", "Architecture"]));
  } catch (error) {
    if (!isParticleError(error)) throw error;
    const stderr = String(error.context.stderr ?? "").trim();
    throw localDebInvalid(
      deb.source,
      `is not a Debian package (${stderr.split("\n").pop() ?? "dpkg-deb failed"})`,
    );
  }
  const fields = parseDeb822(stdout)[0] ?? {};
  const record = LocalPackageRecord.safeParse({
    name: fields.Package,
    version: fields.Version,
    architecture: fields.Architecture,
    sha256: deb.sha256,
  });
  if (!record.success)
    throw localDebInvalid(deb.source, "has no valid Package, Version and Architecture fields");
  return record.data;
}
