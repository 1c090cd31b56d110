import { promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { fromSystemError } from "@particle/runtime";
import { ociError } from "../errors.js";
import type { NormalizedManifest } from "../image/documents.js";
import {
  checkLayerCount,
  descriptorOf,
  hostPlatform,
  parseConfig,
  parseDocument,
  parseImageManifest,
  parseJson,
  selectPlatform,
} from "../image/documents.js";
import { openRegular, readDocument, resolveInside } from "../image/input.js";
import { OciLayoutDir } from "../image/layout.js";
import { checkDigest, hasher, openVerified } from "../image/verify.js";
import { LIMITS } from "../limits.js";
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

/** A document blob (manifest, index, config), refused before reading when its descriptor says it is larger than `cap`. */
async function readSmallBlob(open: () => Promise<Readable>, desc: Descriptor, cap: number): Promise<Buffer> {
  if (desc.size > cap)
    throw ociError(
      "DOCUMENT_TOO_LARGE",
      `document ${desc.digest} is ${desc.size} bytes, more than the ${cap} allowed`,
      {
        context: { digest: desc.digest, limitBytes: cap },
      },
    );
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
  for (let depth = 0; depth < LIMITS.indexDepth; depth++) {
    const bytes = await fetch(desc);
    const doc = parseJson(bytes, `${what}: manifest ${desc.digest}`);
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
  const fetch = (desc: Descriptor, cap = LIMITS.manifestBytes) =>
    readSmallBlob(() => layout.openBlob(desc), desc, cap);
  const { manifest, digest } = await resolveManifest(fetch, top, options, name);
  const configBytes = await fetch(manifest.config, LIMITS.configBytes);
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

/**
 * Unpacks an archive (oci-archive, docker-archive) into scratch space with the safe extractor. The
 * archive is the admin's own argument (a symlink to it is followed) but must be a regular file.
 */
async function unpackArchive(file: string, options: TransportOptions): Promise<string> {
  const real = await fs.realpath(file).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw fromSystemError(error, `reading ${file}`, file);
    throw ociError("IMAGE_NOT_FOUND", `${file} does not exist`, { context: { path: file } });
  });
  const input = await openRegular(real, "archive");
  await fs.mkdir(options.workDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(options.workDir, "archive-"));
  try {
    const source = input.handle.createReadStream({ autoClose: true });
    await extractTar(readTar(source), dir, { devices: "reject", owners: false });
  } catch (error) {
    await input.handle.close().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
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
    const member = (p: string, what: string) => resolveInside(dir, p, `${file}: ${what}`);
    const list = parseDocument(
      DockerArchiveManifest,
      await readDocument(
        await member("manifest.json", "manifest.json"),
        `${file} manifest.json`,
        LIMITS.dockerArchiveManifestBytes,
      ),
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
    checkLayerCount(entry.Layers.length, `${file} manifest.json`);
    const configFile = await member(entry.Config, "config");
    const configBytes = await readDocument(configFile, `${file} config`, LIMITS.configBytes);
    const configDesc = descriptorOf(configBytes, DockerMediaType.config);
    const layers: Descriptor[] = [];
    const files = new Map<string, string>([[configDesc.digest, configFile]]);
    for (const p of entry.Layers) {
      const layerFile = await member(p, "layer");
      // One pass: the first bytes tell the compression, the rest the digest (no-follow, regular file).
      const input = await openRegular(layerFile, `${file}: layer`);
      const h = hasher();
      let head = Buffer.alloc(0);
      for await (const chunk of input.handle.createReadStream({ autoClose: true }).pipe(h))
        if (head.length < 4) head = Buffer.concat([head, chunk as Buffer]);
      const mediaType =
        sniffCompression(head) === "gzip" ? DockerMediaType.layerGzip : DockerMediaType.layerTar;
      const desc = { mediaType, ...h.result() };
      layers.push(desc);
      files.set(desc.digest, layerFile);
    }
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
  const configBytes = await readSmallBlob(
    () => client.getBlob(manifest.config),
    manifest.config,
    LIMITS.configBytes,
  );
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
