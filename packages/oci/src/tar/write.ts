import { once } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import type { EntryType, TarEntry } from "./entry.js";
import { encodeName } from "./name.js";
import { encodePaxRecords, XATTR_PREFIX } from "./pax.js";

/**
 * Writes a POSIX (ustar + PAX) tar stream. The writer is our own rather than tar-stream's pack:
 * pack cannot emit a PAX header whose records we built from bytes (it treats `x` entries as
 * bodiless), and byte-safe xattrs need exactly that. Output is deterministic: same entries, same
 * bytes (PAX keys sorted, no uname/gname unless given, no atime/ctime).
 */

const TYPEFLAG: Readonly<Record<EntryType | "pax", string>> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
  pax: "x",
};

const BLOCK = 512;
const MAX_ID = 0o7777777;
const MAX_SIZE = 0o77777777777;

const fitsField = (s: string, bytes: number) => /^[\x20-\x7e]*$/.test(s) && Buffer.byteLength(s) <= bytes;

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(
    `${Math.floor(value)
      .toString(8)
      .padStart(width - 1, "0")}\0`,
    offset,
    width,
    "latin1",
  );
}

interface HeaderFields {
  readonly name: string;
  readonly typeflag: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname?: string;
  readonly uname?: string;
  readonly gname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
}

/** One 512-byte ustar header (pure). Fields that do not fit must be carried by a PAX header. */
function encodeHeader(h: HeaderFields): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(h.name, 0, 100, "latin1");
  octal(buf, 100, 8, h.mode & 0o7777);
  octal(buf, 108, 8, h.uid > MAX_ID ? 0 : h.uid);
  octal(buf, 116, 8, h.gid > MAX_ID ? 0 : h.gid);
  octal(buf, 124, 12, h.size > MAX_SIZE ? 0 : h.size);
  octal(buf, 136, 12, Math.max(0, h.mtime));
  buf.write(h.typeflag, 156, 1, "latin1");
  if (h.linkname) buf.write(h.linkname, 157, 100, "latin1");
  buf.write("ustar\x0000", 257, 8, "latin1");
  if (h.uname) buf.write(h.uname, 265, 32, "utf8");
  if (h.gname) buf.write(h.gname, 297, 32, "utf8");
  octal(buf, 329, 8, h.devmajor ?? 0);
  octal(buf, 337, 8, h.devminor ?? 0);
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return buf;
}

/** PAX records an entry needs beyond what ustar holds, keys sorted (pure). */
function paxRecords(entry: TarEntry, name: string): [string, Buffer][] {
  const records: [string, Buffer][] = [];
  if (!fitsField(name, 100)) records.push(["path", encodeName(name)]);
  if (entry.linkname !== undefined && !fitsField(entry.linkname, 100))
    records.push(["linkpath", encodeName(entry.linkname)]);
  if (entry.uid > MAX_ID) records.push(["uid", Buffer.from(String(entry.uid))]);
  if (entry.gid > MAX_ID) records.push(["gid", Buffer.from(String(entry.gid))]);
  if (entry.size > MAX_SIZE) records.push(["size", Buffer.from(String(entry.size))]);
  if (!Number.isInteger(entry.mtime))
    records.push(["mtime", Buffer.from(entry.mtime.toFixed(9).replace(/0+$/, ""))]);
  if (entry.uname !== undefined && !fitsField(entry.uname, 32))
    records.push(["uname", Buffer.from(entry.uname, "utf8")]);
  if (entry.gname !== undefined && !fitsField(entry.gname, 32))
    records.push(["gname", Buffer.from(entry.gname, "utf8")]);
  for (const key of Object.keys(entry.xattrs))
    records.push([`${XATTR_PREFIX}${key}`, entry.xattrs[key] as Buffer]);
  return records.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A readable placeholder for a name carried by PAX. */
const placeholder = (s: string, bytes: number) =>
  encodeName(s)
    .toString("latin1")
    .replace(/[^\x20-\x7e]/g, "_")
    .slice(-bytes);

export class TarWriter {
  /** The tar byte stream; `add` waits while its reader is behind. */
  readonly stream = new PassThrough({ highWaterMark: 1 << 20 });

  async #push(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    if (!this.stream.write(data)) await once(this.stream, "drain");
  }

  async add(entry: TarEntry, body?: Readable | Buffer): Promise<void> {
    const name = entry.type === "directory" && entry.path !== "" ? `${entry.path}/` : entry.path || "./";
    const size = entry.type === "file" ? entry.size : 0;
    const records = paxRecords(entry, name);
    const mtime = Math.floor(entry.mtime);
    if (records.length > 0) {
      const pax = encodePaxRecords(records);
      const paxName = `PaxHeaders/${placeholder(name, 80)}`.slice(0, 100);
      await this.#push(
        encodeHeader({
          name: paxName,
          typeflag: TYPEFLAG.pax,
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: pax.length,
          mtime,
        }),
      );
      await this.#push(pax);
      await this.#push(padding(pax.length));
    }
    await this.#push(
      encodeHeader({
        name: fitsField(name, 100) ? name : placeholder(name, 100),
        typeflag: TYPEFLAG[entry.type],
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size,
        mtime,
        linkname:
          entry.linkname === undefined
            ? undefined
            : fitsField(entry.linkname, 100)
              ? entry.linkname
              : placeholder(entry.linkname, 100),
        uname: entry.uname !== undefined && fitsField(entry.uname, 32) ? entry.uname : undefined,
        gname: entry.gname !== undefined && fitsField(entry.gname, 32) ? entry.gname : undefined,
        devmajor: entry.devmajor,
        devminor: entry.devminor,
      }),
    );
    if (size === 0) {
      // An unread file stream would keep its descriptor (and the mount below it) busy.
      if (body && !Buffer.isBuffer(body)) body.destroy();
      return;
    }
    let written = 0;
    for await (const chunk of Buffer.isBuffer(body) ? [body] : (body ?? [])) {
      const data = chunk as Buffer;
      written += data.length;
      if (written > size)
        throw new Error(
          `${entry.path}: content is longer than the declared ${size} bytes (file changed while read?)`,
        );
      await this.#push(data);
    }
    if (written !== size)
      throw new Error(
        `${entry.path}: content is ${written} bytes, ${size} declared (file changed while read?)`,
      );
    await this.#push(padding(size));
  }

  /** Writes the end-of-archive marker and ends the stream. */
  finalize(): void {
    this.stream.end(Buffer.alloc(BLOCK * 2));
  }

  /** Aborts the stream (its reader sees the error). */
  destroy(error: Error): void {
    this.stream.destroy(error);
  }
}
