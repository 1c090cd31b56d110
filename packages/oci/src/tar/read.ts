import { finished, type Readable } from "node:stream";
import tar from "tar-stream";
import { ociError } from "../errors.js";
import { checkXattr, type EntryType, normalizeEntryPath, type TarEntry } from "./entry.js";
import { decodeName } from "./name.js";
import { parsePaxRecords, XATTR_PREFIX } from "./pax.js";

export interface TarItem {
  readonly entry: TarEntry;
  /** The entry's content; must be consumed (or drained) before the next item is read. */
  readonly body: Readable;
}

const TYPES: Readonly<Record<string, EntryType>> = {
  file: "file",
  "contiguous-file": "file",
  directory: "directory",
  symlink: "symlink",
  link: "hardlink",
  "character-device": "char",
  "block-device": "block",
  fifo: "fifo",
};

const RECORDS = Symbol("pax-records");
type PaxObject = Record<string, string> & { [RECORDS]?: Map<string, Buffer> };

interface ExtractInternals {
  _header: { type: string };
  _pax: PaxObject | null;
  _paxGlobal: PaxObject | null;
  _gnuLongPath: string | null;
  _gnuLongLinkPath: string | null;
  _stream: unknown;
  _longHeader: boolean;
  _missing: number;
  _buffer: { buffered: number };
  _decodeLongHeader(buf: Buffer): void;
  _final(cb: (error?: Error | null) => void): void;
}

/** A GNU long name: NUL-terminated bytes; a NUL before the end would cut the name (`etc/passwd\0.txt`). */
function gnuLongName(buf: Buffer): string {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  const name = buf.subarray(0, end);
  if (name.includes(0))
    throw ociError(
      "TAR_PATH_INVALID",
      `a GNU long name holds a NUL byte: ${JSON.stringify(decodeName(name))}`,
    );
  return name.toString("latin1");
}

/** The few PAX keys tar-stream itself applies; values as latin1 text, i.e. one char per byte (names stay bytes). */
function paxObject(records: Map<string, Buffer>): PaxObject {
  const pax: PaxObject = {};
  for (const key of ["path", "linkpath", "size"]) {
    const value = records.get(key);
    if (value) pax[key] = value.toString("latin1");
  }
  pax[RECORDS] = records;
  return pax;
}

/**
 * Makes one tar-stream extractor keep PAX records as bytes. Pinned to tar-stream 3.2.2's internals
 * (`_decodeLongHeader`, `_pax`, `_paxGlobal`); the unit tests fail if an upgrade changes them.
 */
function byteSafePax(extract: tar.Extract): void {
  const internals = extract as unknown as ExtractInternals;
  const final = internals._final.bind(internals);
  internals._final = (cb) => {
    // The stream stops inside the padding after the last entry's complete data, without the
    // end-of-archive blocks (umoci 0.4's `insert` writes such layers; Go's reader takes them):
    // nothing of any entry is missing. A cut inside data or a header still fails.
    if (
      internals._stream === null &&
      !internals._longHeader &&
      internals._missing > 0 &&
      internals._missing < 512 &&
      internals._buffer.buffered === 0
    )
      internals._missing = 0;
    final(cb);
  };
  const original = internals._decodeLongHeader.bind(internals);
  internals._decodeLongHeader = (buf: Buffer) => {
    const type = internals._header.type;
    if (type === "gnu-long-path") {
      internals._gnuLongPath = gnuLongName(buf);
      return;
    }
    if (type === "gnu-long-link-path") {
      internals._gnuLongLinkPath = gnuLongName(buf);
      return;
    }
    if (type !== "pax-header" && type !== "pax-global-header") return original(buf);
    const records = parsePaxRecords(buf);
    if (type === "pax-global-header") {
      internals._paxGlobal = paxObject(records);
      return;
    }
    const global = internals._paxGlobal?.[RECORDS];
    internals._pax = paxObject(global ? new Map([...global, ...records]) : records);
  };
}

function recordNumber(records: Map<string, Buffer> | undefined, key: string): number | undefined {
  const value = records?.get(key);
  if (value === undefined) return undefined;
  const n = Number(value.toString("latin1"));
  if (!Number.isFinite(n)) throw ociError("TAR_CORRUPT", `PAX record ${key} is not a number`);
  return n;
}

/** A name as tar-stream gave it (latin1: one char per byte) in TarEntry form. */
const nameOf = (raw: string) => decodeName(Buffer.from(raw, "latin1"));

function toEntry(header: tar.Header): TarEntry {
  // tar-stream reports every type it does not know (GNU sparse 'S', vendor 'A'-'Z', …) as null.
  const type = header.type ? TYPES[header.type] : undefined;
  if (type === undefined) {
    throw ociError(
      "TAR_UNSUPPORTED_TYPE",
      `tar entry ${JSON.stringify(nameOf(header.name))} has an unsupported type (${header.type ?? "GNU sparse, vendor or unknown"})`,
      { context: { path: nameOf(header.name) } },
    );
  }
  const records = (header.pax as PaxObject | undefined)?.[RECORDS];
  const xattrs: Record<string, Buffer> = {};
  for (const [key, value] of records ?? []) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    const name = key.slice(XATTR_PREFIX.length);
    checkXattr(nameOf(header.name), name, value);
    xattrs[name] = value;
  }
  const linkname = header.linkname ?? undefined;
  return {
    path: normalizeEntryPath(nameOf(header.name)),
    type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: recordNumber(records, "uid") ?? header.uid ?? 0,
    gid: recordNumber(records, "gid") ?? header.gid ?? 0,
    uname: records?.get("uname")?.toString("utf8") ?? header.uname ?? undefined,
    gname: records?.get("gname")?.toString("utf8") ?? header.gname ?? undefined,
    mtime: recordNumber(records, "mtime") ?? (header.mtime ? header.mtime.getTime() / 1000 : 0),
    size: type === "file" ? (header.size ?? 0) : 0,
    linkname:
      linkname === undefined
        ? undefined
        : type === "hardlink"
          ? normalizeEntryPath(nameOf(linkname), "hardlink")
          : nameOf(linkname),
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs,
  };
}

/** Maps tar-stream's and zlib's stream errors to this package's codes. */
export function tarStreamError(error: unknown): unknown {
  if (
    !(error instanceof Error) ||
    ("code" in error &&
      typeof (error as { code: unknown }).code === "string" &&
      (error as { code: string }).code.startsWith("TAR_"))
  )
    return error;
  const message = error.message;
  // streamx says "Stream was destroyed" to a reader of an entry whose archive ended inside it.
  if (/unexpected end|truncated|premature close|stream was destroyed/i.test(message))
    return ociError("TAR_TRUNCATED", `the archive is truncated: ${message}`, { cause: error });
  if (
    /invalid tar header|invalid header|header exceeds|incorrect header check|unknown format/i.test(message)
  ) {
    return ociError("TAR_CORRUPT", `not a valid tar stream: ${message}`, { cause: error });
  }
  return error;
}

/** Reads a (decompressed) tar stream entry by entry. */
export async function* readTar(source: Readable): AsyncGenerator<TarItem> {
  // latin1: names reach toEntry as bytes, decoded there without loss (name.ts).
  const extract = tar.extract({ filenameEncoding: "latin1" } as Parameters<typeof tar.extract>[0]);
  byteSafePax(extract);
  let current: Readable | undefined;
  // finished() also reports a source that failed before this generator started reading it.
  finished(source, { readable: true, writable: false }, (error) => {
    if (!error) return;
    // The consumer may be waiting on the entry's body rather than on the extractor. A body it
    // already finished with must not raise the error again as an unhandled event.
    if (current && !current.destroyed) {
      current.once("error", () => undefined);
      current.destroy(error);
    }
    extract.destroy(error);
  });
  source.pipe(extract);
  try {
    for await (const stream of extract) {
      const body = stream as unknown as Readable & { header: tar.Header };
      current = body;
      yield { entry: toEntry(body.header), body };
      // A consumer that skipped the body still lets the next entry through.
      body.resume();
    }
  } catch (error) {
    throw tarStreamError(error);
  } finally {
    source.unpipe(extract);
  }
}
