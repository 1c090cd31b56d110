import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportImage, importImage } from "../src/index.js";

/** A path whose name bytes are Latin-1 (not UTF-8), for Node's fs calls. */
const bytes = (p: string) => Buffer.from(p, "latin1");

/** A tree with Latin-1 names: a directory, a file in it, a symlink to it, and a UTF-8 name beside. */
async function latin1Tree(root: string): Promise<void> {
  await fs.mkdir(bytes(`${root}/caf\xe9`), { recursive: true });
  await fs.writeFile(bytes(`${root}/caf\xe9/na\xefve`), "latin-1 name\n");
  await fs.symlink(bytes("na\xefve"), bytes(`${root}/caf\xe9/l\xe9`));
  await fs.writeFile(path.join(root, "größe"), "utf-8 name\n");
}

/** The tree's names (as Latin-1 text of their bytes), contents and link targets. */
async function describeTree(root: string): Promise<string[]> {
  const cafe = bytes(`${root}/caf\xe9`);
  const names = (await fs.readdir(cafe, { encoding: "buffer" })).map((b) => b.toString("latin1")).sort();
  return [
    ...names,
    await fs.readFile(bytes(`${root}/caf\xe9/na\xefve`), "utf8"),
    (await fs.readlink(bytes(`${root}/caf\xe9/l\xe9`), { encoding: "buffer" })).toString("latin1"),
    await fs.readFile(path.join(root, "größe"), "utf8"),
  ];
}

const EXPECTED = ["l\xe9", "na\xefve", "latin-1 name\n", "na\xefve", "utf-8 name\n"];

describe("file names that are not UTF-8 travel as bytes: store, export, umoci, import", () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-names", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    const tree = path.join(dir, "tree");
    await latin1Tree(tree);
    const layer = await store.createLayer(tree, { compression: "zstd", level: 3 });
    await store.commitImage({ name: "latin1", tag: "1", layers: [layer], created: "2023-11-14T22:13:20Z" });
  });
  afterAll(async () => dir && destroyScratch(dir));

  it.each([
    ["one layer per store layer", false],
    ["chunked by package", true],
  ])(
    "exports a store image with Latin-1 names (%s) that umoci unpacks byte for byte",
    async (name, chunked) => {
      const layout = path.join(dir, `layout-${chunked}`);
      await exportImage(store, "latin1:1", `oci:${layout}:t`, { workDir: path.join(dir, "work"), chunked });
      const bundle = path.join(dir, `bundle-${chunked}`);
      await run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle]);
      expect(await describeTree(path.join(bundle, "rootfs"))).toEqual(EXPECTED);
      expect(name).toBeTruthy();
    },
  );

  it("imports what `umoci insert … /` wrote: a '/' root entry (its mode kept) and Latin-1 names", async () => {
    const layout = path.join(dir, "umoci");
    const source = path.join(dir, "insert-src");
    await latin1Tree(source);
    await fs.chmod(source, 0o750);
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", `${layout}:t`]);
    await run("umoci", ["insert", "--image", `${layout}:t`, source, "/"]);
    const result = await importImage(store, `oci:${layout}:t`, "inserted:1", {
      workDir: path.join(dir, "work"),
    });
    const mnt = path.join(dir, "mnt");
    await fs.mkdir(mnt);
    await store.mount(result.manifestDigest, mnt);
    try {
      expect(await describeTree(mnt)).toEqual(EXPECTED);
      expect((await fs.stat(mnt)).mode & 0o7777).toBe(0o750);
    } finally {
      await store.unmount(mnt);
    }
  });
});
