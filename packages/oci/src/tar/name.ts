/**
 * File names as bytes, carried in JS strings without loss (Python's "surrogateescape", PEP 383): a
 * name that is valid UTF-8 decodes to its ordinary string; each byte of an invalid sequence becomes
 * the lone surrogate U+DC80..U+DCFF, which valid UTF-8 can never produce. So two different byte
 * names never collide, names read back byte for byte, and readable names stay readable (pure).
 */

/** Decodes name bytes (from a tar header or readdir) to the string form used in TarEntry.path. */
export function decodeName(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString("utf8");
  if (!text.includes("\uFFFD") || Buffer.from(text, "utf8").equals(buf)) return text;
  let out = "";
  let i = 0;
  while (i < buf.length) {
    const b = buf[i] as number;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 1) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (len > 0 && i + len <= buf.length) {
      const seq = buf.subarray(i, i + len);
      const decoded = seq.toString("utf8");
      // Valid only if it round-trips (rejects overlongs, surrogates, values past U+10FFFF).
      if (!decoded.includes("\uFFFD") && Buffer.from(decoded, "utf8").equals(seq)) {
        out += decoded;
        i += len;
        continue;
      }
    }
    out += String.fromCharCode(0xdc00 + b);
    i++;
  }
  return out;
}

/** The bytes of a name in TarEntry.path form (inverse of decodeName). */
export function encodeName(name: string): Buffer {
  if (!/[\uDC80-\uDCFF]/.test(name)) return Buffer.from(name, "utf8");
  const parts: Buffer[] = [];
  let run = "";
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xdc80 && code <= 0xdcff) {
      if (run) parts.push(Buffer.from(run, "utf8"));
      run = "";
      parts.push(Buffer.from([code - 0xdc00]));
    } else run += ch;
  }
  if (run) parts.push(Buffer.from(run, "utf8"));
  return Buffer.concat(parts);
}

/** Whether a name is plain UTF-8 (no escaped bytes): such a name can be passed as a process argument. */
export const isUtf8Name = (name: string) => !/[\uDC80-\uDCFF]/.test(name);

/** A path below `root` as bytes, for fs calls (Node takes Buffer paths everywhere). */
export function pathBytes(root: string, name: string): Buffer {
  return name === "" ? Buffer.from(root) : Buffer.concat([Buffer.from(`${root}/`), encodeName(name)]);
}
