import path from "node:path";
import { Readable } from "node:stream";
import { isOverlayWhiteout, OVERLAY_OPAQUE_XATTR, type TarEntry } from "./entry.js";
import type { TarItem } from "./read.js";

/**
 * Whiteouts between the two forms a layer takes:
 * - overlayfs (our store's layers): a removed path is a char device 0:0, an opaque directory has
 *   `trusted.overlay.opaque=y`;
 * - OCI tar layers: a removed path is an empty file `.wh.<name>`, an opaque directory holds
 *   `.wh..wh..opq`.
 * Both converters work on a stream of entries, one entry in, at most two out.
 */

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

const empty = () => Readable.from([]);

function withoutOverlayXattrs(xattrs: TarEntry["xattrs"]): TarEntry["xattrs"] {
  const kept: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(xattrs))
    if (!key.startsWith("trusted.overlay.")) kept[key] = value;
  return kept;
}

function join(dir: string, name: string): string {
  return dir === "" || dir === "." ? name : `${dir}/${name}`;
}

/** overlayfs form → OCI form. Overlay-private xattrs (trusted.overlay.*) are dropped. */
export async function* overlayToOci(items: AsyncIterable<TarItem>): AsyncGenerator<TarItem> {
  for await (const { entry, body } of items) {
    if (isOverlayWhiteout(entry)) {
      body.resume();
      const dir = path.posix.dirname(entry.path);
      yield {
        entry: {
          ...entry,
          path: join(dir, `${WHITEOUT_PREFIX}${path.posix.basename(entry.path)}`),
          type: "file",
          mode: 0o644,
          devmajor: 0,
          devminor: 0,
          size: 0,
          xattrs: {},
        },
        body: empty(),
      };
      continue;
    }
    const opaque = entry.type === "directory" && entry.xattrs[OVERLAY_OPAQUE_XATTR]?.toString() === "y";
    yield { entry: { ...entry, xattrs: withoutOverlayXattrs(entry.xattrs) }, body };
    if (opaque) {
      yield {
        entry: {
          ...entry,
          path: join(entry.path, OPAQUE_MARKER),
          type: "file",
          mode: 0o644,
          size: 0,
          xattrs: {},
        },
        body: empty(),
      };
    }
  }
}

/**
 * OCI form → overlayfs form. An opaque marker becomes a second entry for its directory carrying
 * the opaque xattr (the extractor merges a directory's entries); the directory's own metadata is
 * reused when it came earlier in the stream.
 */
export async function* ociToOverlay(items: AsyncIterable<TarItem>): AsyncGenerator<TarItem> {
  const dirs = new Map<string, TarEntry>();
  for await (const { entry, body } of items) {
    const name = path.posix.basename(entry.path);
    const dir = entry.path.includes("/") ? path.posix.dirname(entry.path) : "";
    if (entry.type === "directory") dirs.set(entry.path, entry);
    if (name === OPAQUE_MARKER) {
      body.resume();
      const base = dirs.get(dir) ?? { ...entry, mode: 0o755, uid: 0, gid: 0, xattrs: {} };
      yield {
        entry: {
          ...base,
          path: dir,
          type: "directory",
          size: 0,
          linkname: undefined,
          xattrs: { ...base.xattrs, [OVERLAY_OPAQUE_XATTR]: Buffer.from("y") },
        },
        body: empty(),
      };
      continue;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      body.resume();
      yield {
        entry: {
          ...entry,
          path: join(dir, name.slice(WHITEOUT_PREFIX.length)),
          type: "char",
          mode: 0,
          size: 0,
          linkname: undefined,
          devmajor: 0,
          devminor: 0,
          xattrs: {},
        },
        body: empty(),
      };
      continue;
    }
    yield { entry, body };
  }
}
