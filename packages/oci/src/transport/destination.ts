import { promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { ifExists } from "@particle/runtime";
import { ociError } from "../errors.js";
import { OciLayoutDir } from "../image/layout.js";
import { writeStreamAtomic } from "../image/verify.js";
import { formatTransportRef, type TransportRef } from "../reference.js";
import { checkAuthFile } from "../registry/auth-file.js";
import type { Descriptor } from "../spec.js";
import { readTree } from "../tar/tree.js";
import { TarWriter } from "../tar/write.js";
import { registryClientFor, type TransportOptions } from "./context.js";

/** Where an image is written: blobs first, then the manifest under its tag, then `commit`. */
export interface ImageDestination {
  readonly name: string;
  /** Stores a blob unless present; returns how (for progress and reports). */
  putBlob(desc: Descriptor, open: () => Readable): Promise<"exists" | "mounted" | "uploaded">;
  /**
   * Takes over a scratch file holding a blob we produced (digest already computed): a layout
   * renames it in place of copying it. Absent where a copy is the only way.
   */
  adoptBlob?(desc: Descriptor, file: string): Promise<"exists" | "uploaded">;
  putManifest(bytes: Buffer, mediaType: string): Promise<void>;
  /** Publishes the result (an archive is renamed into place here). */
  commit(): Promise<void>;
  /** Drops scratch state after a failure or commit. */
  close(): Promise<void>;
}

function layoutDestination(
  layout: OciLayoutDir,
  tag: string | undefined,
  name: string,
  publish?: () => Promise<void>,
  cleanup?: () => Promise<void>,
): ImageDestination {
  return {
    name,
    async putBlob(desc, open) {
      if (await layout.hasBlob(desc)) return "exists";
      await layout.putBlob(open(), desc);
      return "uploaded";
    },
    async adoptBlob(desc, file) {
      if (await layout.hasBlob(desc)) return "exists";
      await layout.adoptBlob(file, desc);
      return "uploaded";
    },
    async putManifest(bytes, mediaType) {
      const desc = await layout.putBytes(bytes, mediaType);
      await layout.setRef(desc, tag ?? "latest");
    },
    commit: async () => publish?.(),
    close: async () => cleanup?.(),
  };
}

/** Writes a layout directory as an oci-archive: a plain tar of its files, deterministic order. */
async function tarLayout(dir: string, file: string): Promise<void> {
  const writer = new TarWriter();
  const written = writeStreamAtomic(writer.stream, file);
  try {
    for await (const { entry, body } of readTree(dir, { mtime: 0 }))
      await writer.add({ ...entry, uid: 0, gid: 0, xattrs: {} }, body);
    writer.finalize();
  } catch (error) {
    writer.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
}

/**
 * An existing destination must be what will be written: a regular file (replaced by a rename) or a
 * directory. Renaming over /dev/full or a FIFO would replace a device node of the host.
 */
async function checkDestination(target: string, kind: "file" | "directory"): Promise<void> {
  const stat = await ifExists(fs.stat(target));
  if (stat === undefined || (kind === "file" ? stat.isFile() : stat.isDirectory())) return;
  throw ociError(
    "DESTINATION_INVALID",
    `${target} exists and is not a ${kind === "file" ? "regular file" : "directory"}`,
    {
      context: { path: target },
    },
  );
}

/** Opens a destination for writing an image through any transport. */
export async function openDestination(
  ref: TransportRef,
  options: TransportOptions,
): Promise<ImageDestination> {
  await checkAuthFile(options.authFile);
  const name = formatTransportRef(ref);
  switch (ref.transport) {
    case "oci":
      await checkDestination(ref.path, "directory");
      return layoutDestination(await OciLayoutDir.open(ref.path, { create: true }), ref.tag, name);
    case "oci-archive": {
      const target = path.resolve(ref.path);
      await checkDestination(target, "file");
      await fs.mkdir(options.workDir, { recursive: true });
      const dir = await fs.mkdtemp(path.join(options.workDir, "oci-archive-"));
      const layout = await OciLayoutDir.open(dir, { create: true });
      const cleanup = () => fs.rm(dir, { recursive: true, force: true });
      return layoutDestination(
        layout,
        ref.tag,
        name,
        async () => {
          await tarLayout(dir, target);
        },
        cleanup,
      );
    }
    case "docker-archive":
      throw ociError("REF_INVALID", "writing docker-archive is not supported", {
        hint: "Export to oci-archive:FILE instead; docker and podman load it with skopeo.",
      });
    case "docker": {
      const { tag, digest } = ref.registry;
      if (digest)
        throw ociError("REF_INVALID", `cannot push to a digest reference (${name})`, {
          hint: "Push to a tag: docker://HOST/REPO:TAG",
        });
      const client = await registryClientFor(ref.registry, options);
      return {
        name,
        putBlob: (desc, open) => client.putBlob(desc, open),
        async putManifest(bytes, mediaType) {
          await client.putManifest(bytes, mediaType, tag ?? "latest");
        },
        commit: async () => {},
        close: async () => {},
      };
    }
  }
}
