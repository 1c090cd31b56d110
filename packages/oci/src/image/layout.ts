import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import {
  failpoint,
  fsyncDir,
  ifExists,
  mkdirDurable,
  pathExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "@particle/runtime";
import { ociError } from "../errors.js";
import { LIMITS } from "../limits.js";
import { Annotation, type Descriptor, documentBytes, MediaType, OciIndex, OciLayout } from "../spec.js";
import { descriptorOf, parseDocument } from "./documents.js";
import { readDocument, resolveInside } from "./input.js";
import { checkDigest, openVerified, writeStreamAtomic } from "./verify.js";

/**
 * An OCI image layout directory (image-layout spec): `oci-layout`, `index.json`, `blobs/sha256/`.
 * Tags are index entries annotated with org.opencontainers.image.ref.name, as skopeo and umoci do.
 * Every write is atomic; blobs are verified before they are published.
 */
export class OciLayoutDir {
  private constructor(readonly root: string) {}

  static async open(root: string, options: { create?: boolean } = {}): Promise<OciLayoutDir> {
    const layout = new OciLayoutDir(path.resolve(root));
    const marker = path.join(layout.root, "oci-layout");
    if (!(await pathExists(marker))) {
      if (!options.create)
        throw ociError("LAYOUT_INVALID", `${layout.root} is not an OCI image layout (no oci-layout file)`, {
          context: { path: layout.root },
        });
      await mkdirDurable(path.join(layout.root, "blobs", "sha256"));
      await writeFileAtomic(marker, documentBytes({ imageLayoutVersion: "1.0.0" } satisfies OciLayout));
      if (!(await pathExists(path.join(layout.root, "index.json"))))
        await layout.writeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
      return layout;
    }
    parseDocument(
      OciLayout,
      await readDocument(marker, "OCI layout marker", LIMITS.layoutMarkerBytes),
      marker,
    );
    return layout;
  }

  blobPath(digest: string): string {
    return path.join(this.root, "blobs", "sha256", checkDigest(digest));
  }

  /** Whether the layout holds the blob as a regular file of its size (a symlink does not count). */
  async hasBlob(desc: Pick<Descriptor, "digest" | "size">): Promise<boolean> {
    const stat = await ifExists(fs.lstat(this.blobPath(desc.digest)));
    return stat?.isFile() === true && stat.size === desc.size;
  }

  /** Stores a stream as a blob; with `expected` it must match, else it is hashed as it comes. */
  async putBlob(
    source: Readable,
    expected?: Pick<Descriptor, "digest" | "size">,
  ): Promise<{ digest: string; size: number }> {
    if (expected && (await this.hasBlob(expected))) {
      source.resume();
      return expected;
    }
    const dir = path.join(this.root, "blobs", "sha256");
    await fs.mkdir(dir, { recursive: true });
    const temp = path.join(
      dir,
      `.incoming-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    );
    const result = await writeStreamAtomic(source, temp, expected);
    await fs.rename(temp, this.blobPath(result.digest));
    return result;
  }

  /** Moves a verified scratch file into the blobs (a copy when it lies on another filesystem). */
  async adoptBlob(file: string, desc: Pick<Descriptor, "digest" | "size">): Promise<void> {
    const target = this.blobPath(desc.digest);
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      failpoint("oci.blob/before-rename");
      await fs.rename(file, target);
      await fsyncDir(path.dirname(target));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      await this.putBlob(createReadStream(file), desc);
    }
  }

  async putJson(doc: unknown, mediaType: string): Promise<Descriptor> {
    const bytes = documentBytes(doc);
    const desc = descriptorOf(bytes, mediaType);
    if (!(await this.hasBlob(desc))) await writeFileAtomic(this.blobPath(desc.digest), bytes);
    return desc;
  }

  /** Writes raw document bytes as they are (a manifest copied unchanged keeps its digest). */
  async putBytes(bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const desc = descriptorOf(bytes, mediaType);
    if (!(await this.hasBlob(desc))) await writeFileAtomic(this.blobPath(desc.digest), bytes);
    return desc;
  }

  /** A blob, verified as it streams; `blobs/sha256` may not lead outside the layout. */
  async openBlob(desc: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const file = await resolveInside(
      this.root,
      `blobs/sha256/${checkDigest(desc.digest)}`,
      `blob ${desc.digest}`,
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code === "NOT_FOUND")
        throw ociError("BLOB_NOT_FOUND", `blob ${desc.digest} is missing from ${this.root}`, {
          cause: error,
        });
      throw error;
    });
    return openVerified(file, desc);
  }

  async readBlob(desc: Pick<Descriptor, "digest" | "size">): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openBlob(desc)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async readIndex(): Promise<OciIndex> {
    const file = path.join(this.root, "index.json");
    const bytes = await readDocument(file, "OCI layout index", LIMITS.layoutIndexBytes).catch(
      (error: unknown) => {
        if ((error as { code?: string }).code !== "NOT_FOUND") throw error;
        throw ociError("LAYOUT_INVALID", `${this.root} has no index.json`, {
          cause: error,
          context: { path: file },
        });
      },
    );
    return parseDocument(OciIndex, bytes, file);
  }

  private async writeIndex(index: OciIndex): Promise<void> {
    await writeJsonAtomic(path.join(this.root, "index.json"), index);
  }

  /** Points `tag` at a manifest (replacing the tag's previous entry); without a tag, adds an untagged entry. */
  async setRef(manifest: Descriptor, tag?: string): Promise<void> {
    const index = await this.readIndex();
    const others = index.manifests.filter((m) =>
      tag === undefined
        ? m.digest !== manifest.digest || m.annotations?.[Annotation.refName] !== undefined
        : m.annotations?.[Annotation.refName] !== tag,
    );
    failpoint("oci.layout/before-index");
    const entry: Descriptor = {
      ...manifest,
      ...(tag === undefined ? {} : { annotations: { ...manifest.annotations, [Annotation.refName]: tag } }),
    };
    await this.writeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...others, entry] });
  }

  /** The index entry for `tag`, or the only entry when no tag is given. */
  async findRef(tag: string | undefined): Promise<Descriptor> {
    const { manifests } = await this.readIndex();
    if (tag !== undefined) {
      const found = manifests.find((m) => m.annotations?.[Annotation.refName] === tag);
      if (!found) {
        throw ociError("IMAGE_NOT_FOUND", `no image tagged ${tag} in ${this.root}`, {
          context: {
            tags: manifests
              .map((m) => m.annotations?.[Annotation.refName])
              .filter(Boolean)
              .join(","),
          },
        });
      }
      return found;
    }
    if (manifests.length === 1 && manifests[0]) return manifests[0];
    if (manifests.length === 0) throw ociError("IMAGE_NOT_FOUND", `${this.root} holds no image`);
    throw ociError("AMBIGUOUS_IMAGE", `${this.root} holds ${manifests.length} images`);
  }
}
