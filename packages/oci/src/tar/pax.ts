import { ociError } from "../errors.js";

/**
 * PAX extended header records (`"%d %s=%s\n"`), parsed and written from bytes. tar-stream decodes
 * record values as UTF-8, which corrupts binary xattr values such as `security.capability`; here a
 * value stays a Buffer and only keys are text.
 */

export const XATTR_PREFIX = "SCHILY.xattr.";

export function parsePaxRecords(buf: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < buf.length) {
    // A header may be padded with NULs after the last record.
    if (buf[offset] === 0) break;
    const space = buf.indexOf(0x20, offset);
    const length = space === -1 ? Number.NaN : Number(buf.subarray(offset, space).toString("latin1"));
    if (
      !Number.isInteger(length) ||
      length <= space - offset + 1 ||
      offset + length > buf.length ||
      buf[offset + length - 1] !== 0x0a
    ) {
      throw ociError("TAR_CORRUPT", "malformed PAX extended header record", { context: { offset } });
    }
    const record = buf.subarray(space + 1, offset + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw ociError("TAR_CORRUPT", "PAX record without a key", { context: { offset } });
    records.set(record.subarray(0, eq).toString("utf8"), Buffer.from(record.subarray(eq + 1)));
    offset += length;
  }
  return records;
}

function encodeRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, "utf8"), value, Buffer.from("\n")]);
  // The length prefix counts itself: grow it until it is stable.
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), "latin1"), body]);
}

/** Encodes records in the given order (callers sort keys for reproducible archives). */
export function encodePaxRecords(records: Iterable<readonly [string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    if (key.includes("=") || key.length === 0) throw new Error(`invalid PAX key ${JSON.stringify(key)}`);
    parts.push(encodeRecord(key, value));
  }
  return Buffer.concat(parts);
}
