import { promises as fs } from "node:fs";
import path from "node:path";
import { isParticleError, listMounts, mountsBelow, unmount } from "@particle/runtime";
import { loopDevicesUnder, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { Store } from "../src/index.js";
import { runStoreOp } from "./support/child.js";
import { makeLowerAndUpper } from "./support/fixtures.js";
import { codeOf } from "./support/store.js";

beforeAll(() => requireRoot());

async function setup(name: string): Promise<{ dir: string; store: Store; target: string; runDir: string }> {
  const dir = await scratchDir(name);
  const { lower, upper } = await makeLowerAndUpper(dir);
  const runDir = path.join(dir, "run");
  const store = await Store.open(path.join(dir, "store"), { create: true, runDir });
  await store.commitImage({
    name: "demo",
    layers: [await store.createLayer(lower), await store.createLayer(upper)],
  });
  const target = path.join(dir, "target");
  await fs.mkdir(target);
  return { dir, store, target, runDir };
}

/** Everything the store mounted for this test is gone: no mounts, no loop devices, no records. */
async function expectNothingLeft(dir: string, runDir: string): Promise<void> {
  expect(await mountsBelow(dir)).toEqual([]);
  // The kernel releases an autoclear loop device shortly after the unmount returns, not during it.
  let loops = await loopDevicesUnder(path.join(dir, "store"));
  for (let i = 0; i < 100 && loops.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    loops = await loopDevicesUnder(path.join(dir, "store"));
  }
  expect(loops).toEqual([]);
  expect(await fs.readdir(path.join(runDir, "mounts"))).toEqual([]);
}

describe("mount", () => {
  it("read-only-mount-refuses-writes-and-unmount-undoes-everything", async () => {
    const { dir, store, target, runDir } = await setup("cfs-ro");
    const record = await store.mount("demo", target);
    expect(record.layers).toHaveLength(2);
    expect((await store.mounts()).map((r) => r.target)).toEqual([target]);
    await expect(fs.writeFile(path.join(target, "x"), "x")).rejects.toThrow(/EROFS/);
    await store.unmount(target);
    await expectNothingLeft(dir, runDir);
  });

  it("refuses-a-target-that-is-already-a-mount", async () => {
    const { store, target } = await setup("cfs-busy");
    await store.mount("demo", target);
    expect(await codeOf(store.mount("demo", target))).toBe("MOUNT_TARGET_BUSY");
    const other = path.join(path.dirname(target), "other");
    await fs.mkdir(other);
    await fs.mkdir(path.join(other, "inner"));
    await store.mount("demo", path.join(other, "inner"));
    await store.unmount(path.join(other, "inner"));
    expect(await codeOf(store.mount("demo", path.join(path.dirname(target), "missing")))).toBe(
      "MOUNT_TARGET_BUSY",
    );
    expect(await codeOf(store.unmount(other))).toBe("NOT_MOUNTED");
    await store.unmount(target);
  });

  it("unmount-of-a-busy-stack-fails-clearly-and-lazy-detaches-it", async () => {
    const { dir, store, target, runDir } = await setup("cfs-busy-unmount");
    await store.mount("demo", target);
    const handle = await fs.open(path.join(target, "etc/hostname"), "r");
    try {
      expect(await codeOf(store.unmount(target))).toBe("UNMOUNT_BUSY");
      await store.unmount(target, { lazy: true });
    } finally {
      await handle.close();
    }
    await expectNothingLeft(dir, runDir);
  });

  it("writable-tmpfs-and-directory-uppers", async () => {
    const { dir, store, target, runDir } = await setup("cfs-rw");
    const image = await store.resolve("demo");
    // The stack's root shows the upper's root: it must look like the image's root.
    const layerRoot = path.join(dir, "layer-root");
    await fs.mkdir(layerRoot, { mode: 0o750 });
    await fs.chmod(layerRoot, 0o750);
    await fs.chown(layerRoot, 1000, 1000);
    await store.commitImage({ name: "demo", layers: [...image.layers, await store.createLayer(layerRoot)] });
    await store.mount("demo", target, { writable: "tmpfs" });
    expect(await fs.stat(target)).toMatchObject({ mode: 0o40750, uid: 1000, gid: 1000 });
    await fs.writeFile(path.join(target, "etc/new"), "scratch");
    await fs.rm(path.join(target, "etc/hostname"));
    await store.unmount(target);
    const upper = path.join(dir, "my-upper");
    const work = path.join(dir, "my-work");
    await store.mount("demo", target, { writable: { upper, work } });
    await fs.writeFile(path.join(target, "etc/kept"), "kept");
    await store.unmount(target);
    expect(await fs.readFile(path.join(upper, "etc/kept"), "utf8")).toBe("kept");
    await expectNothingLeft(dir, runDir);
  });

  it("single-layer-and-fifty-layer-images-mount", async () => {
    const { dir, store, target, runDir } = await setup("cfs-many");
    const layers = [];
    for (let i = 0; i < 50; i++) {
      const tree = path.join(dir, `tree-${i}`);
      await fs.mkdir(path.join(tree, "layers"), { recursive: true });
      await fs.writeFile(path.join(tree, "layers", `${i}`), `${i}`);
      layers.push(await store.createLayer(tree));
    }
    await store.commitImage({ name: "many", layers });
    await store.commitImage({ name: "one", layers: layers.slice(0, 1) });
    await store.mount("many", target);
    expect((await fs.readdir(path.join(target, "layers"))).length).toBe(50);
    await store.unmount(target);
    await store.mount("one", target);
    expect(await fs.readdir(path.join(target, "layers"))).toEqual(["0"]);
    await store.unmount(target);
    await expectNothingLeft(dir, runDir);
  });

  it("cleanup-undoes-a-mount-killed-midway-and-one-unmounted-by-hand", async () => {
    const { dir, store, target, runDir } = await setup("cfs-stale");
    const killed = await runStoreOp(
      store.root,
      runDir,
      "mount",
      ["demo", target],
      "store.mount/stacked=kill",
    );
    expect(killed.signal).toBe("SIGKILL");
    const [record] = await store.mounts();
    expect(record?.state).toBe("mounting");
    expect((await mountsBelow(dir)).length).toBeGreaterThan(0);
    const report = await store.cleanup();
    expect(report.cleaned.map((r) => r.target)).toEqual([target]);
    await expectNothingLeft(dir, runDir);

    await store.mount("demo", target, { writable: "tmpfs" });
    await unmount(target);
    const second = await store.cleanup();
    expect(second.cleaned).toHaveLength(1);
    await expectNothingLeft(dir, runDir);
    // A new mount on a target whose stale record was never cleaned also works.
    await store.mount("demo", target);
    await unmount(target);
    await store.mount("demo", target);
    expect((await store.cleanup()).active).toHaveLength(1);
    await store.unmount(target);
    await expectNothingLeft(dir, runDir);

    // An unmount killed after the overlay is gone leaves the layers; cleanup finishes it.
    await store.mount("demo", target, { writable: "tmpfs" });
    const killedUnmount = await runStoreOp(
      store.root,
      runDir,
      "unmount",
      [target],
      "store.unmount/overlay-unmounted=kill",
    );
    expect(killedUnmount.signal).toBe("SIGKILL");
    expect((await mountsBelow(dir)).length).toBeGreaterThan(0);
    expect((await store.cleanup()).cleaned).toHaveLength(1);
    await expectNothingLeft(dir, runDir);
  });

  it("refuses-an-image-with-a-corrupt-layer-unless-forced", async () => {
    const { store, target } = await setup("cfs-corrupt");
    const image = await store.resolve("demo");
    const top = image.layers[1];
    if (!top) throw new Error("no top layer");
    const file = store.blobPath(top.digest);
    await fs.chmod(file, 0o644);
    const handle = await fs.open(file, "r+");
    await handle.write(Buffer.from("XXXX"), 0, 4, 2000);
    await handle.close();
    expect(await codeOf(store.mount("demo", target))).toBe("IMAGE_CORRUPT");
    expect((await listMounts()).some((m) => m.mountPoint === target)).toBe(false);
    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.blobs.corrupt).toEqual([top.digest]);
    expect(report.affected.map((a) => a.ref)).toEqual(["demo:latest"]);
    // Forced, the mount goes ahead (squashfs may still mount: only the damaged block reads wrong).
    const forced = await store.mount("demo", target, { force: true }).then(
      () => "mounted",
      (e: unknown) => (isParticleError(e) ? e.code : String(e)),
    );
    expect(forced).not.toBe("IMAGE_CORRUPT");
    if (forced === "mounted") await store.unmount(target);
  });
});
