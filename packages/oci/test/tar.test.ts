import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import {
  decodeName,
  decompress,
  encodeName,
  encodePaxRecords,
  extractTar,
  ociToOverlay,
  overlayToOci,
  parsePaxRecords,
  readTar,
  symlinkEscapes,
  type TarItem,
} from "../src/tar/index.js";
import {
  CAPABILITY,
  dir,
  entry,
  file,
  hardlink,
  hostileCorpus,
  makeTar,
  stream,
  symlink,
  withName,
  zeroBomb,
} from "./fixtures/archives.js";

async function collect(items: AsyncIterable<TarItem>) {
  const out = [];
  for await (const { entry: e, body } of items) out.push({ entry: e, data: await buffer(body) });
  return out;
}

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), "oci-tar-"));
  temps.push(d);
  return d;
}
afterEach(async () => {
  for (const d of temps.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

describe("pax records", () => {
  it("round-trips binary values byte for byte", () => {
    const records = encodePaxRecords([
      ["SCHILY.xattr.security.capability", CAPABILITY],
      ["path", Buffer.from("é".repeat(60))],
    ]);
    const parsed = parsePaxRecords(records);
    expect(parsed.get("SCHILY.xattr.security.capability")?.equals(CAPABILITY)).toBe(true);
    expect(parsed.get("path")?.toString()).toBe("é".repeat(60));
  });

  it("gets the self-counting length right across a digit boundary", () => {
    for (let n = 80; n < 120; n++) {
      const rec = encodePaxRecords([["k", Buffer.alloc(n, 0x61)]]);
      expect(Number(rec.toString().split(" ")[0])).toBe(rec.length);
    }
  });

  it("rejects a malformed record", () => {
    expect(() => parsePaxRecords(Buffer.from("99 path=x\n"))).toThrow(
      expect.objectContaining({ code: "TAR_CORRUPT" }),
    );
  });
});

describe("tar codec", () => {
  it("keeps xattrs, long and non-ASCII names, links, devices, owners, modes and times", async () => {
    const long = `${"deep/".repeat(40)}file-with-a-long-name`;
    const data = await makeTar([
      dir("usr", { mode: 0o755, uid: 0, gid: 0 }),
      file("usr/bin/ping", "ELF", {
        mode: 0o4755,
        uid: 0,
        gid: 0,
        xattrs: { "security.capability": CAPABILITY },
      }),
      file(long, "long"),
      file("größe/ünïcode", "u", { uid: 3_000_000, gid: 3_000_001, mtime: 1_700_000_000.25 }),
      hardlink("usr/bin/ping6", "usr/bin/ping"),
      symlink("usr/bin/link", `../${"x".repeat(150)}`),
      [entry("dev/null", { type: "char", mode: 0o666, devmajor: 1, devminor: 3 }), Buffer.alloc(0)],
      [entry("dev/sda", { type: "block", mode: 0o660, devmajor: 8, devminor: 0 }), Buffer.alloc(0)],
      [entry("run/fifo", { type: "fifo", mode: 0o600 }), Buffer.alloc(0)],
    ]);
    const items = await collect(readTar(stream(data)));
    const byPath = new Map(items.map((i) => [i.entry.path, i]));
    expect(byPath.get("usr/bin/ping")?.entry.xattrs["security.capability"]?.equals(CAPABILITY)).toBe(true);
    expect(byPath.get("usr/bin/ping")?.entry.mode).toBe(0o4755);
    expect(byPath.get(long)?.data.toString()).toBe("long");
    const unicode = byPath.get("größe/ünïcode")?.entry;
    expect([unicode?.uid, unicode?.gid, unicode?.mtime]).toEqual([3_000_000, 3_000_001, 1_700_000_000.25]);
    expect(byPath.get("usr/bin/ping6")?.entry).toMatchObject({ type: "hardlink", linkname: "usr/bin/ping" });
    expect(byPath.get("usr/bin/link")?.entry.linkname).toBe(`../${"x".repeat(150)}`);
    expect(byPath.get("dev/null")?.entry).toMatchObject({
      type: "char",
      devmajor: 1,
      devminor: 3,
      mode: 0o666,
    });
    expect(byPath.get("dev/sda")?.entry).toMatchObject({ type: "block", devmajor: 8 });
    expect(byPath.get("run/fifo")?.entry.type).toBe("fifo");
  });

  it("writes the same bytes for the same entries", async () => {
    const items = [
      dir("a"),
      file("a/b", "x", { xattrs: { "user.z": Buffer.from([0xff]), "user.a": Buffer.from([0]) } }),
    ];
    expect((await makeTar(items)).equals(await makeTar(items))).toBe(true);
  });
});

describe("names as bytes and the root entry", () => {
  const latin1 = (text: string) => decodeName(Buffer.from(text, "latin1"));

  it("decodes names that are not UTF-8 without loss and tells them apart", () => {
    const cafe = Buffer.from("caf\xe9", "latin1");
    const replaced = Buffer.from("caf\ufffd", "utf8");
    expect(encodeName(decodeName(cafe)).equals(cafe)).toBe(true);
    expect(decodeName(cafe)).not.toBe(decodeName(replaced));
    expect(decodeName(Buffer.from("größe"))).toBe("größe");
    for (const bytes of [
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      const b = Buffer.from(bytes);
      expect(encodeName(decodeName(b)).equals(b)).toBe(true);
    }
  });

  it("writes, reads and extracts Latin-1 names byte for byte", async () => {
    const name = latin1("caf\xe9/na\xefve");
    const items = await collect(
      readTar(
        stream(await makeTar([dir(latin1("caf\xe9")), file(name, "x"), symlink(latin1("l\xe9"), name)])),
      ),
    );
    expect(items.map((i) => i.entry.path)).toEqual([latin1("caf\xe9"), name, latin1("l\xe9")]);
    expect(items[2]?.entry.linkname).toBe(name);
    const target = await tempDir();
    await extractTar(readTar(stream(await makeTar([dir(latin1("caf\xe9")), file(name, "x")]))), target, {
      owners: false,
    });
    const listed = await fs.readdir(Buffer.from(`${target}/caf\xe9`, "latin1"), { encoding: "buffer" });
    expect(listed.map((b) => b.toString("latin1"))).toEqual(["na\xefve"]);
  });

  it("applies the metadata of a '/' root entry to the extraction root", async () => {
    const data = withName(
      await makeTar([dir("", { mode: 0o711, mtime: 1_600_000_000 }), file("a", "1")]),
      "/",
    );
    const items = await collect(readTar(stream(data)));
    expect(items[0]?.entry.path).toBe("");
    const target = await tempDir();
    await extractTar(readTar(stream(data)), target, { owners: false });
    const stat = await fs.stat(target);
    expect([stat.mode & 0o7777, stat.mtimeMs / 1000]).toEqual([0o711, 1_600_000_000]);
  });
});

describe("whiteouts", () => {
  it("converts overlayfs whiteouts and opaque dirs to OCI form and back", async () => {
    const overlay = await makeTar([
      dir("etc", { xattrs: { "trusted.overlay.opaque": Buffer.from("y"), "user.keep": Buffer.from("1") } }),
      [entry("etc/removed", { type: "char", mode: 0 }), Buffer.alloc(0)],
      file("etc/kept", "k"),
    ]);
    const oci = await collect(overlayToOci(readTar(stream(overlay))));
    expect(oci.map((i) => [i.entry.path, i.entry.type])).toEqual([
      ["etc", "directory"],
      ["etc/.wh..wh..opq", "file"],
      ["etc/.wh.removed", "file"],
      ["etc/kept", "file"],
    ]);
    expect(Object.keys(oci[0]?.entry.xattrs ?? {})).toEqual(["user.keep"]);

    const back = await collect(
      ociToOverlay(
        (async function* () {
          for (const i of oci) yield { entry: i.entry, body: Readable.from([i.data]) };
        })(),
      ),
    );
    expect(back.map((i) => [i.entry.path, i.entry.type])).toEqual([
      ["etc", "directory"],
      ["etc", "directory"],
      ["removed", "char"].map((x, n) => (n === 0 ? `etc/${x}` : x)),
      ["etc/kept", "file"],
    ]);
    expect(back[1]?.entry.xattrs["trusted.overlay.opaque"]?.toString()).toBe("y");
    expect(back[1]?.entry.xattrs["user.keep"]?.toString()).toBe("1");
  });
});

describe("symlink escape check", () => {
  it.each([
    ["a/b", "../c", false],
    ["a/b", "../../c", true],
    ["a", "/etc/shadow", false],
    ["bin", "usr/bin", false],
    ["a/b/c", "../../../x", true],
    ["a/b/c", "./../../x/../y", false],
  ])("%s -> %s escapes: %s", (at, target, escapes) => {
    expect(symlinkEscapes(at, target)).toBe(escapes);
  });
});

describe("safe extraction", () => {
  it("extracts a tree", async () => {
    const target = await tempDir();
    const data = await makeTar([
      dir("etc", { mode: 0o750 }),
      file("etc/os-release", "ID=debian\n", { mode: 0o640 }),
      hardlink("etc/again", "etc/os-release"),
      symlink("bin", "usr/bin"),
    ]);
    await extractTar(readTar(stream(data)), target, { owners: false });
    expect(await fs.readFile(path.join(target, "etc/os-release"), "utf8")).toBe("ID=debian\n");
    expect((await fs.stat(path.join(target, "etc"))).mode & 0o7777).toBe(0o750);
    expect((await fs.stat(path.join(target, "etc/again"))).ino).toBe(
      (await fs.stat(path.join(target, "etc/os-release"))).ino,
    );
    expect(await fs.readlink(path.join(target, "bin"))).toBe("usr/bin");
    expect((await fs.stat(path.join(target, "etc/os-release"))).mtimeMs).toBe(1_700_000_000_000);
  });

  it("refuses a target that is not empty", async () => {
    const target = await tempDir();
    await fs.writeFile(path.join(target, "x"), "");
    await expect(extractTar(readTar(stream(await makeTar([file("a", "b")]))), target)).rejects.toMatchObject({
      code: "EXTRACT_TARGET_NOT_EMPTY",
    });
  });

  it("rejects every hostile archive with its code and writes nothing outside the target", async () => {
    const corpus = await hostileCorpus();
    expect(corpus.length).toBeGreaterThan(15);
    for (const item of corpus) {
      const parent = await tempDir();
      const target = path.join(parent, "root");
      await fs.mkdir(target);
      const error = await extractTar(readTar(await decompress(stream(item.data))), target, {
        owners: false,
        devices: item.devices ?? "whiteouts",
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ name: item.name, code: (error as { code?: string } | undefined)?.code }).toEqual({
        name: item.name,
        code: item.code,
      });
      expect(await fs.readdir(parent)).toEqual(["root"]);
    }
  });

  it("stops a decompression bomb before it is written", async () => {
    const target = await tempDir();
    const bomb = await zeroBomb(32 * 1024 * 1024);
    const source = await decompress(stream(bomb), { maxRatio: 50, ratioGraceBytes: 1024 * 1024 });
    await expect(extractTar(readTar(source), target, { owners: false })).rejects.toMatchObject({
      code: "DECOMPRESSION_LIMIT",
    });
    const size = await fs.stat(path.join(target, "zeros")).then(
      (s) => s.size,
      () => 0,
    );
    expect(size).toBeLessThan(4 * 1024 * 1024);
  });

  it("stops output past the size limit", async () => {
    const source = await decompress(stream(await zeroBomb(4 * 1024 * 1024)), { maxBytes: 1024 * 1024 });
    await expect(collect(readTar(source))).rejects.toMatchObject({ code: "DECOMPRESSION_LIMIT" });
  });
});

describe("parallel gzip", () => {
  it("writes one valid gzip stream whose bytes do not depend on the number of threads", async () => {
    const { parallelGzip } = await import("../src/tar/compress.js");
    const { gunzipSync } = await import("node:zlib");
    const input = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.alloc(25_000, i % 7)));
    const run = async (parallel: number) =>
      buffer(
        Readable.from([input.subarray(0, 300_000), input.subarray(300_000)]).pipe(
          parallelGzip(6, 64 * 1024, parallel),
        ),
      );
    const one = await run(1);
    const four = await run(4);
    expect(four.equals(one)).toBe(true);
    expect(gunzipSync(one).equals(input)).toBe(true);
    expect(gunzipSync(await buffer(Readable.from([]).pipe(parallelGzip(6))))).toHaveLength(0);
  });
});
