import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { run, sha256Hex } from "@particle/runtime";
import { MediaType, OciLayoutDir, type TarEntry } from "../../src/index.js";
import { ACL_EVERYONE_RW, entry, makeTar } from "../fixtures/archives.js";

/**
 * Builders for hostile inputs on every surface (oci:, oci-archive:, docker-archive:) and the
 * checks every hostile case makes: a victim file outside the target keeps its content, mode,
 * xattrs and ACL, and the store keeps every file.
 */

/** A file that hostile input tries to read or change: content, mode, a user xattr and an ACL. */
export async function makeVictim(dir: string): Promise<string> {
  const victim = path.join(dir, "victim", "secret");
  await fs.mkdir(path.dirname(victim), { recursive: true });
  await fs.writeFile(victim, "root-only-secret-content\n", { mode: 0o600 });
  await fs.chmod(victim, 0o600);
  await run("setfattr", ["-n", "user.victim", "-v", "untouched", victim]);
  return victim;
}

/** Everything an attack could change about a file: content, mode, owner, every xattr (ACLs too). */
export async function victimState(file: string): Promise<string> {
  const stat = await fs.lstat(file);
  const { stdout } = await run("getfattr", ["-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", file]);
  return [sha256Hex(await fs.readFile(file)), stat.mode.toString(8), stat.uid, stat.gid, stdout].join("\n");
}

/** The store's files: path, size and content hash of each (the store must not change). */
export async function storeState(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await fs.readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const stat = await fs.lstat(p);
      if (stat.isDirectory()) await walk(p);
      else
        out.push(
          `${path.relative(root, p)} ${stat.size} ${stat.isFile() ? sha256Hex(await fs.readFile(p)) : ""}`,
        );
    }
  };
  await walk(root);
  return out;
}

export interface LayoutSpec {
  readonly layers: readonly Buffer[];
  readonly mediaType?: string;
  readonly diffIds?: readonly string[];
  /** Changes a stored layer blob after its descriptor was written. */
  readonly tamper?: (blob: Buffer) => Buffer;
  readonly manifestBytes?: Buffer;
  /** Layer descriptors to put in the manifest instead of the stored layers. */
  readonly layerDescriptors?: readonly object[];
}

/** Writes a one-image OCI layout (tag `t`) from raw layer tars (stored gzip-compressed). */
export async function makeLayout(root: string, spec: LayoutSpec): Promise<string> {
  const layout = await OciLayoutDir.open(root, { create: true });
  const descs = [];
  for (const tar of spec.layers) {
    const blob = gzipSync(tar);
    const stored = await layout.putBlob(Readable.from([blob]));
    if (spec.tamper) await fs.writeFile(layout.blobPath(stored.digest), spec.tamper(blob));
    descs.push({ mediaType: spec.mediaType ?? MediaType.ociLayerGzip, ...stored });
  }
  const config = await layout.putJson(
    {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: spec.diffIds ?? spec.layers.map((t) => `sha256:${sha256Hex(t)}`) },
    },
    MediaType.ociConfig,
  );
  const manifest = spec.manifestBytes
    ? await layout.putBytes(spec.manifestBytes, MediaType.ociManifest)
    : await layout.putJson(
        {
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config,
          layers: spec.layerDescriptors ?? descs,
        },
        MediaType.ociManifest,
      );
  await layout.setRef(manifest, "t");
  return root;
}

/** The files of a directory as tar items (regular files and directories only), for archives. */
async function dirItems(root: string): Promise<[TarEntry, Buffer][]> {
  const out: [TarEntry, Buffer][] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(root, rel))).sort()) {
      const p = rel === "" ? name : `${rel}/${name}`;
      const stat = await fs.lstat(path.join(root, p));
      if (stat.isDirectory()) {
        out.push([entry(p, { type: "directory", mode: 0o755 }), Buffer.alloc(0)]);
        await walk(p);
      } else {
        const data = await fs.readFile(path.join(root, p));
        out.push([entry(p, { size: data.length }), data]);
      }
    }
  };
  await walk("");
  return out;
}

/**
 * An oci-archive of a layout; `edit` may replace, add or drop members (hostile members: a
 * symlink blob, an xattr, a FIFO…).
 */
export async function makeOciArchive(
  file: string,
  layoutDir: string,
  edit: (items: [TarEntry, Buffer][]) => readonly [TarEntry, Buffer][] = (i) => i,
): Promise<string> {
  await fs.writeFile(file, await makeTar(edit(await dirItems(layoutDir))));
  return file;
}

/** A `docker save` archive of one image (manifest.json, config, layer tars), members editable. */
export async function makeDockerArchive(
  file: string,
  layers: readonly Buffer[],
  edit: (items: [TarEntry, Buffer][]) => readonly [TarEntry, Buffer][] = (i) => i,
): Promise<string> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((t) => `sha256:${sha256Hex(t)}`) },
    }),
  );
  const names = layers.map((_, i) => `layer${i}/layer.tar`);
  const manifest = Buffer.from(
    JSON.stringify([{ Config: "config.json", RepoTags: ["evil:t"], Layers: names }]),
  );
  const items: [TarEntry, Buffer][] = [
    [entry("manifest.json", { size: manifest.length }), manifest],
    [entry("config.json", { size: config.length }), config],
    ...layers.flatMap((data, i): [TarEntry, Buffer][] => [
      [entry(`layer${i}`, { type: "directory", mode: 0o755 }), Buffer.alloc(0)],
      [entry(names[i] as string, { size: data.length }), data],
    ]),
  ];
  await fs.writeFile(file, await makeTar(edit(items)));
  return file;
}

export { ACL_EVERYONE_RW };
