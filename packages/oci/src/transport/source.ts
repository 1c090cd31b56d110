import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { ociError } from "../errors.js";
import type { NormalizedManifest } from "../image/documents.js";
import {
  hostPlatform,
  parseConfig,
  parseDocument,
  parseImageManifest,
  selectPlatform,
} from "../image/documents.js";
import { OciLayoutDir } from "../image/layout.js";
import { checkDigest, hasher, openVerified } from "../image/verify.js";
import { formatTransportRef, type TransportRef } from "../reference.js";
import { checkAuthFile } from "../registry/auth-file.js";
import {
  type Descriptor,
  DockerArchiveManifest,
  DockerMediaType,
  manifestKind,
  type OciImageConfig,
  OciIndex,
} from "../spec.js";
import { sniffCompression } from "../tar/compress.js";
import { extractTar } from "../tar/extract.js";
import { readTar } from "../tar/read.js";
import { registryClientFor, type TransportOptions } from "./context.js";

/** An image to read: its manifest, its config and its blobs, each verified as it streams. */
export interface ImageSource {
  readonly name: string;
  readonly manifest: NormalizedManifest;
  readonly manifestDigest: string;
  readonly config: OciImageConfig;
  readonly configBytes: Buffer;
  openBlob(desc: Descriptor): Promise<Readable>;
  close(): Promise<void>;
}

const MAX_DOCUMENT = 4 * 1024 * 1024;

async function readSmallBlob(open: () => Promise<Readable>, desc: Descriptor): Promise<Buffer> {
  if (desc.size > MAX_DOCUMENT)
    throw ociError("DOCUMENT_INVALID", `document ${desc.digest} is ${desc.size} bytes, too large for JSON`);
  const chunks: Buffer[] = [];
  for await (const chunk of await open()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves an index (or the layout's index.json) down to one image manifest for the platform. */
async function resolveManifest(
  fetch: (desc: Descriptor) => Promise<Buffer>,
  top: Descriptor,
  options: TransportOptions,
  what: string,
): Promise<{ manifest: NormalizedManifest; digest: string }> {
  let desc = top;
  for (let depth = 0; depth < 3; depth++) {
    const bytes = await fetch(desc);
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString("utf8"));
    } catch (error) {
      throw ociError("DOCUMENT_INVALID", `${what}: manifest ${desc.digest} is not valid JSON`, {
        cause: error,
      });
    }
    const kind = manifestKind(doc);
    if (kind === "oci-index" || kind === "docker-list") {
      const index = parseDocument(OciIndex, bytes, `${what} index`);
      desc = selectPlatform(index.manifests, options.platform ?? hostPlatform());
      continue;
    }
    return { manifest: parseImageManifest(bytes, `${what} manifest`), digest: desc.digest };
  }
  throw ociError("DOCUMENT_INVALID", `${what}: indexes nest too deep`);
}

async function layoutSource(
  dir: string,
  tag: string | undefined,
  options: TransportOptions,
  name: string,
  cleanup?: () => Promise<void>,
): Promise<ImageSource> {
  const layout = await OciLayoutDir.open(dir);
  const top = await layout.findRef(tag);
  const fetch = (desc: Descriptor) => readSmallBlob(async () => layout.openBlob(desc), desc);
  const { manifest, digest } = await resolveManifest(fetch, top, options, name);
  const configBytes = await fetch(manifest.config);
  return {
    name,
    manifest,
    manifestDigest: digest,
    configBytes,
    config: parseConfig(configBytes),
    openBlob: async (desc) => layout.openBlob(desc),
    close: async () => cleanup?.(),
  };
}

/** Unpacks an archive (oci-archive, docker-archive) into scratch space with the safe extractor. */
async function unpackArchive(file: string, options: TransportOptions): Promise<string> {
  await fs.mkdir(options.workDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(options.workDir, "archive-"));
  try {
    const source = createReadStream(file);
    await extractTar(readTar(source), dir, { devices: "reject", owners: false });
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw ociError("IMAGE_NOT_FOUND", `${file} does not exist`, { context: { path: file } });
    throw error;
  }
  return dir;
}

/** `docker save` output: manifest.json naming a config file and layer tars by path. */
async function dockerArchiveSource(
  file: string,
  tag: string | undefined,
  options: TransportOptions,
  name: string,
): Promise<ImageSource> {
  const dir = await unpackArchive(file, options);
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  try {
    const list = parseDocument(
      DockerArchiveManifest,
      await fs.readFile(path.join(dir, "manifest.json")).catch(() => "not found"),
      `${file} manifest.json`,
    );
    const entry =
      tag === undefined
        ? list.length === 1
          ? list[0]
          : undefined
        : list.find((e) => e.RepoTags?.some((t) => t === tag || t.endsWith(`:${tag}`)));
    if (!entry)
      throw ociError(
        tag === undefined && list.length > 1 ? "AMBIGUOUS_IMAGE" : "IMAGE_NOT_FOUND",
        `${file} has no image ${tag ?? ""}`.trim(),
      );
    const inside = (p: string) => {
      const resolved = path.resolve(dir, p);
      if (!resolved.startsWith(`${dir}/`))
        throw ociError("TAR_PATH_TRAVERSAL", `docker-archive manifest names ${p} outside the archive`);
      return resolved;
    };
    const describe = async (p: string, mediaType: string): Promise<Descriptor> => {
      const h = hasher();
      const stream = createReadStream(inside(p));
      for await (const _ of stream.pipe(h));
      return { mediaType, ...h.result() };
    };
    const configBytes = await fs.readFile(inside(entry.Config));
    const layers: Descriptor[] = [];
    const files = new Map<string, string>();
    for (const p of entry.Layers) {
      const head = Buffer.alloc(4);
      const handle = await fs.open(inside(p), "r");
      await handle.read(head, 0, 4, 0).finally(() => handle.close());
      const desc = await describe(
        p,
        sniffCompression(head) === "gzip" ? DockerMediaType.layerGzip : DockerMediaType.layerTar,
      );
      layers.push(desc);
      files.set(desc.digest, inside(p));
    }
    const configDesc = await describe(entry.Config, DockerMediaType.config);
    files.set(configDesc.digest, inside(entry.Config));
    return {
      name,
      manifest: { config: configDesc, layers, annotations: {} },
      manifestDigest: configDesc.digest,
      config: parseConfig(configBytes),
      configBytes,
      openBlob: async (desc) => {
        checkDigest(desc.digest);
        const p = files.get(desc.digest);
        if (!p) throw ociError("BLOB_NOT_FOUND", `blob ${desc.digest} is not in ${file}`);
        return openVerified(p, desc);
      },
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function registrySource(
  ref: Extract<TransportRef, { transport: "docker" }>,
  options: TransportOptions,
  name: string,
): Promise<ImageSource> {
  const { tag, digest } = ref.registry;
  const client = await registryClientFor(ref.registry, options);
  const top = await client.getManifest(digest ?? tag ?? "latest");
  const cache = new Map([[top.digest, top.bytes]]);
  const fetch = async (desc: Descriptor) =>
    cache.get(desc.digest) ?? (await client.getManifest(desc.digest)).bytes;
  const { manifest, digest: manifestDigest } = await resolveManifest(
    fetch,
    { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length },
    options,
    name,
  );
  const configBytes = await readSmallBlob(() => client.getBlob(manifest.config), manifest.config);
  return {
    name,
    manifest,
    manifestDigest,
    configBytes,
    config: parseConfig(configBytes),
    openBlob: (desc) => client.getBlob(desc),
    close: async () => {},
  };
}

/** Opens an image for reading from any transport. */
export async function openSource(ref: TransportRef, options: TransportOptions): Promise<ImageSource> {
  await checkAuthFile(options.authFile);
  const name = formatTransportRef(ref);
  switch (ref.transport) {
    case "oci":
      return layoutSource(ref.path, ref.tag, options, name);
    case "oci-archive": {
      const dir = await unpackArchive(ref.path, options);
      try {
        return await layoutSource(dir, ref.tag, options, name, () =>
          fs.rm(dir, { recursive: true, force: true }),
        );
      } catch (error) {
        await fs.rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
    case "docker-archive":
      return dockerArchiveSource(ref.path, ref.tag, options, name);
    case "docker":
      return registrySource(ref, options, name);
  }
}
