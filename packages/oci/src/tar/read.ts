import { finished, type Readable } from "node:stream";
import tar from "tar-stream";
import { ociError } from "../errors.js";
import { checkXattr, type EntryType, normalizeEntryPath, type TarEntry } from "./entry.js";
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
  _decodeLongHeader(buf: Buffer): void;
}

/** The few PAX keys tar-stream itself applies; values as text. */
function paxObject(records: Map<string, Buffer>): PaxObject {
  const pax: PaxObject = {};
  for (const key of ["path", "linkpath", "size"]) {
    const value = records.get(key);
    if (value) pax[key] = value.toString("utf8");
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
  const original = internals._decodeLongHeader.bind(internals);
  internals._decodeLongHeader = (buf: Buffer) => {
    const type = internals._header.type;
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

function toEntry(header: tar.Header): TarEntry {
  const type = TYPES[header.type ?? "file"];
  if (type === undefined) {
    throw ociError("TAR_UNSUPPORTED_TYPE", `tar entry ${header.name} has unsupported type ${header.type}`, {
      context: { path: header.name },
    });
  }
  const records = (header.pax as PaxObject | undefined)?.[RECORDS];
  const xattrs: Record<string, Buffer> = {};
  for (const [key, value] of records ?? []) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    const name = key.slice(XATTR_PREFIX.length);
    checkXattr(header.name, name, value);
    xattrs[name] = value;
  }
  const linkname = header.linkname ?? undefined;
  return {
    path: normalizeEntryPath(header.name),
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
          ? normalizeEntryPath(linkname, "hardlink")
          : linkname,
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
  if (/unexpected end|truncated|premature close/i.test(message))
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
  const extract = tar.extract();
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
