import { promises as fs } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { isMountPoint, mountImageFile, mountOverlay, mountsBelow, run, unmountAll } from "../src/index.js";

// The runtime sits below @particle/test-kit, so it keeps its own minimal scratch helper.
async function scratchDir(name: string): Promise<string> {
  await fs.mkdir("/var/tmp/particle-tests", { recursive: true });
  const dir = await fs.mkdtemp(path.join("/var/tmp/particle-tests", `${name}-`));
  onTestFinished(async () => {
    await unmountAll(dir, { lazy: true });
    await fs.rm(dir, { recursive: true, force: true });
  });
  return dir;
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("integration tests need root");
});

describe("mounts", () => {
  it("stacks squashfs layers with overlayfs, topmost first, and unmounts them all", async () => {
    const dir = await scratchDir("mount");
    const layers: string[] = [];
    for (const [i, content] of ["bottom", "top"].entries()) {
      const src = path.join(dir, `src${i}`);
      await fs.mkdir(src);
      await fs.writeFile(path.join(src, "file"), content);
      await fs.writeFile(path.join(src, `only${i}`), "x");
      const img = path.join(dir, `l${i}.sqfs`);
      await run("mksquashfs", [src, img, "-quiet", "-no-progress"]);
      const mnt = path.join(dir, `m${i}`);
      await fs.mkdir(mnt);
      await mountImageFile(img, mnt, "squashfs");
      layers.unshift(mnt);
    }
    const target = path.join(dir, "root");
    await fs.mkdir(target);
    await mountOverlay({ lower: layers, target });
    expect(await fs.readFile(path.join(target, "file"), "utf8")).toBe("top");
    expect((await fs.readdir(target)).sort()).toEqual(["file", "only0", "only1"]);
    await expect(fs.writeFile(path.join(target, "new"), "x")).rejects.toMatchObject({ code: "EROFS" });
    expect(await isMountPoint(target)).toBe(true);
    expect((await unmountAll(dir)).length).toBe(3);
    expect(await mountsBelow(dir)).toEqual([]);
  });

  it("mounts more lower layers than fit in one mount option string", async () => {
    const dir = await scratchDir("many-lowers");
    const deep = path.join(dir, "a-rather-long-directory-name-to-make-the-option-string-long");
    const lowers: string[] = [];
    for (let i = 0; i < 80; i++) {
      const l = path.join(deep, `layer-${String(i).padStart(3, "0")}-with-a-long-name-too`);
      await fs.mkdir(l, { recursive: true });
      await fs.writeFile(path.join(l, `f${i}`), String(i));
      lowers.push(l);
    }
    const target = path.join(dir, "root");
    await fs.mkdir(target);
    await mountOverlay({ lower: lowers, target });
    expect((await fs.readdir(target)).length).toBe(80);
  });
});
