import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { mountOverlay, pathExists, run } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  DEPLOY_TAG_NAME,
  deploymentTag,
  finalizeStaged,
  initSysroot,
  listKargs,
  markBootComplete,
  rollback,
  Sysroot,
  setPinned,
  status,
  switchImage,
  updateKargs,
  upgrade,
} from "../src/index.js";
import { baseTree, makeImage } from "./support/images.js";

beforeAll(() => requireRoot());

async function setup(name: string) {
  const dir = await scratchDir(name);
  const storeRunDir = path.join(dir, "run");
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir });
  const store = await Store.open(sysroot.layout.store, { runDir: storeRunDir });
  /** The same sysroot as seen from a machine booted into `booted`. */
  const bootedAs = (booted?: string) => Sysroot.open(sysroot.root, { store, ...(booted ? { booted } : {}) });
  return { dir, sysroot, store, bootedAs };
}

describe("deploy", () => {
  it("deploy-creates-a-bootable-deployment: layers list, origin, /etc upper, kernel, seeded /var, entry set", async () => {
    const { dir, sysroot, store } = await setup("bootc-deploy");
    const digest = await makeImage(store, dir, "os:a", baseTree("1"), "1");
    const result = await switchImage(sysroot, {
      reference: "os:a",
      kargs: ["root=UUID=x", "ro"],
      finalize: true,
    });
    const { stateroot, id } = result.origin;
    expect(stateroot).toBe("default");
    expect(id).toMatch(/^[0-9a-f]{12}-0$/);
    const layout = sysroot.layout;
    const layers = await fs.readFile(layout.layersFile(stateroot, id), "utf8");
    const layer = result.origin.layers[0]?.digest.slice(7);
    expect(layers).toBe(`squashfs particle/store/blobs/sha256/${layer}\n`);
    expect(
      (await fs.stat(path.join(sysroot.root, "particle/store/blobs/sha256", layer as string))).isFile(),
    ).toBe(true);
    expect(await fs.readdir(layout.etcUpper(stateroot, id))).toEqual([]);
    expect(await fs.readFile(path.join(layout.var(stateroot), "lib/image-seed"), "utf8")).toBe(
      "seeded from the first image\n",
    );
    expect(
      await fs.readFile(path.join(layout.kernelDir(result.origin.boot.checksum), "vmlinuz"), "utf8"),
    ).toBe("kernel-1");
    const set = await sysroot.entrySet();
    expect(set?.entries.map((e) => e.deployment)).toEqual([result.deployment]);
    expect(set?.trial).toBeUndefined();
    expect(set?.entries[0]?.options).toBe(`root=UUID=x ro particle.deployment=${result.deployment}`);
    expect(await fs.readlink(layout.entries)).toBe(`entries.${set?.generation}`);
    expect(await fs.readlink(layout.grubLink)).toBe("particle/boot/entries/grub");
    const host = await status(sysroot);
    expect(host.status.default?.image.manifestDigest).toBe(digest);
    expect(host.status.default?.image.version).toBe("1");
    expect(host.status.booted).toBeNull();
  });

  it("refuses an image without a kernel and leaves no deployment behind", async () => {
    const { dir, sysroot, store } = await setup("bootc-nokernel");
    const tree = baseTree("1");
    delete tree["boot/vmlinuz-6.1.0-test"];
    await makeImage(store, dir, "os:broken", tree, "1");
    await expect(switchImage(sysroot, { reference: "os:broken", finalize: true })).rejects.toMatchObject({
      code: "IMAGE_NOT_BOOTABLE",
      exitCode: 4,
    });
    await cleanup(sysroot);
    expect((await fs.readdir(sysroot.layout.stateroot("default"))).filter((n) => n !== "var")).toEqual([]);
    expect(await sysroot.entrySet()).toBeUndefined();
  });
});

describe("deployed images and the store's gc", () => {
  it("store-gc-keeps-deployed-images: gc frees a deployment's layers only after cleanup removed it", async () => {
    const { dir, sysroot, store } = await setup("bootc-store-gc");
    const blobExists = (digest: string) => pathExists(store.blobPath(digest));
    await makeImage(store, dir, "os:a", baseTree("1"), "1");
    const a = await switchImage(sysroot, { reference: "os:a", finalize: true });
    const layerA = a.origin.layers[0]?.digest as string;
    expect(await store.resolve(deploymentTag(a.origin.stateroot, a.origin.id))).toMatchObject({
      manifestDigest: a.origin.image.manifestDigest,
    });
    // The user's own tag goes: only the deployment still refers to the image.
    await store.remove("os:a");
    const kept = await store.gc({ minAgeMs: 0, keepHistory: 0 });
    expect(kept.removed.map((b) => b.digest)).not.toContain(layerA);
    expect(await blobExists(layerA)).toBe(true);
    const target = path.join(dir, "mnt-a");
    await fs.mkdir(target);
    await store.mount(a.origin.image.manifestDigest, target);
    try {
      expect(await fs.readFile(path.join(target, "etc/os-release"), "utf8")).toBe("VERSION_ID=1\n");
    } finally {
      await store.unmount(target);
    }

    // Two newer deployments push `a` out of the entries; cleanup removes it and releases its tag.
    for (const version of ["2", "3"]) {
      await makeImage(store, dir, "os:a", baseTree(version), version);
      await upgrade(sysroot, { finalize: true });
    }
    expect((await sysroot.deployments()).has(a.deployment)).toBe(false);
    const tags = (await store.list()).filter((i) => i.name === DEPLOY_TAG_NAME).map((i) => i.tag);
    expect(tags.sort()).toEqual(
      [...(await sysroot.deployments()).values()].map((o) => `${o.stateroot}.${o.id}`).sort(),
    );
    const freed = await store.gc({ minAgeMs: 0, keepHistory: 0 });
    expect(freed.removed.map((b) => b.digest)).toContain(layerA);
    expect(await blobExists(layerA)).toBe(false);
  });

  it("refuses an image whose manifest the store cannot reproduce, leaving no deployment and no tag", async () => {
    const { dir, sysroot, store } = await setup("bootc-store-foreign");
    await makeImage(store, dir, "os:a", baseTree("1"), "1");
    const image = await store.resolve("os:a");
    // The same documents, pretty-printed: a manifest no commitImage writes.
    const blob = async (name: string, doc: unknown) => {
      const file = path.join(dir, name);
      await fs.writeFile(file, JSON.stringify(doc, null, 2));
      return store.addBlob(file);
    };
    const config = await blob("config.json", image.config);
    const manifest = await blob("manifest.json", {
      ...image.manifest,
      config: { ...image.manifest.config, ...config },
    });
    await expect(switchImage(sysroot, { reference: manifest.digest, finalize: true })).rejects.toMatchObject({
      code: "IMAGE_NOT_REFERENCEABLE",
    });
    expect(await sysroot.deployments()).toEqual(new Map());
    expect((await store.list()).map((i) => i.name)).toEqual(["os"]);
  });

  it("a tag left by a stage killed before its deployment appeared is released by cleanup", async () => {
    const { dir, sysroot, store } = await setup("bootc-store-orphan");
    await makeImage(store, dir, "os:a", baseTree("1"), "1");
    const a = await switchImage(sysroot, { reference: "os:a", finalize: true });
    const image = await store.resolve("os:a");
    await store.commitImage({ name: DEPLOY_TAG_NAME, tag: "default.gone-0", layers: image.layers });
    // An unrelated image with a damaged manifest does not stop cleanup (it runs after every finalize).
    const other = await store.commitImage({ name: "other", tag: "x", layers: image.layers });
    await fs.chmod(store.blobPath(other.manifestDigest), 0o644);
    await fs.writeFile(store.blobPath(other.manifestDigest), "damaged");
    expect((await cleanup(sysroot)).deployments).toEqual([]);
    const index = JSON.parse(await fs.readFile(path.join(store.root, "index.json"), "utf8"));
    const tags = index.manifests
      .map(
        (m: { annotations?: Record<string, string> }) => m.annotations?.["org.opencontainers.image.ref.name"],
      )
      .filter((r: string | undefined) => r?.startsWith(`${DEPLOY_TAG_NAME}:`));
    expect(tags).toEqual([`${DEPLOY_TAG_NAME}:${a.origin.stateroot}.${a.origin.id}`]);
  });
});

describe("upgrade with /etc merge", () => {
  it("upgrade-merges-etc-three-way and keeps /var; rollback, cleanup, pin, kargs, boot-complete", async () => {
    const { dir, sysroot, store, bootedAs } = await setup("bootc-upgrade");
    await makeImage(store, dir, "os:latest", baseTree("1"), "1");
    const a = await switchImage(sysroot, {
      reference: "os:latest",
      kargs: ["root=UUID=x", "ro"],
      finalize: true,
    });
    const booted = await bootedAs(a.deployment);
    const layout = sysroot.layout;
    const upperA = layout.etcUpper("default", a.origin.id);
    // Local changes, as the running system would leave them in the overlay upper.
    await fs.writeFile(path.join(upperA, "hostname"), "myhost\n");
    await fs.writeFile(path.join(upperA, "local.conf"), "mine\n");
    await fs.writeFile(path.join(upperA, "both.conf"), "setting=local\n");
    await fs.writeFile(path.join(upperA, "issue"), "Particle 1\n"); // copied up, unchanged
    await run("mknod", [path.join(upperA, "motd"), "c", "0", "0"]); // deleted locally
    await fs.writeFile(path.join(layout.var("default"), "data.txt"), "user data\n");

    expect((await upgrade(booted, { check: true })).outcome).toBe("none");
    const treeB = {
      ...baseTree("2"),
      "etc/issue": "Particle 2\n",
      "etc/both.conf": "setting=2\n",
      "etc/new.conf": "from B\n",
    };
    await makeImage(store, dir, "os:latest", treeB, "2");
    expect((await upgrade(booted, { check: true })).outcome).toBe("available");
    const staged = await upgrade(booted);
    expect(staged.outcome).toBe("staged");
    expect((await status(booted)).status.staged?.image.version).toBe("2");
    expect((await sysroot.entrySet())?.entries[0]?.deployment).toBe(a.deployment); // not default until finalized

    const fin = await finalizeStaged(booted);
    const b = fin?.deployment as string;
    expect(fin?.etc?.conflicts).toEqual(["both.conf"]);
    expect(fin?.etc?.steps.map((s) => `${s.path}:${s.action}`).sort()).toEqual([
      "both.conf:copy",
      "hostname:copy",
      "local.conf:copy",
      "motd:whiteout",
    ]);
    const set = await sysroot.entrySet();
    expect(set?.entries.map((e) => e.deployment)).toEqual([b, a.deployment]);
    expect(set?.trial).toEqual({ deployment: b, tries: 3 });
    expect(set?.entries[0]?.options).toContain("root=UUID=x ro"); // kargs inherited

    // What B's /etc looks like once booted: B's image /etc with the merged upper on top.
    const bId = b.split("/")[1] as string;
    const imageB = path.join(dir, "image-b");
    const etcB = path.join(dir, "etc-b");
    await fs.mkdir(imageB);
    await fs.mkdir(etcB);
    await store.mount(staged.latest, imageB);
    await mountOverlay({
      lower: [path.join(imageB, "etc")],
      upper: layout.etcUpper("default", bId),
      work: layout.etcWork("default", bId),
      target: etcB,
    });
    expect(await fs.readFile(path.join(etcB, "hostname"), "utf8")).toBe("myhost\n");
    expect(await fs.readFile(path.join(etcB, "local.conf"), "utf8")).toBe("mine\n");
    expect(await fs.readFile(path.join(etcB, "issue"), "utf8")).toBe("Particle 2\n");
    expect(await fs.readFile(path.join(etcB, "new.conf"), "utf8")).toBe("from B\n");
    expect(await fs.readFile(path.join(etcB, "both.conf"), "utf8")).toBe("setting=local\n");
    await expect(fs.access(path.join(etcB, "motd"))).rejects.toThrow();
    await run("umount", [etcB]);
    await store.unmount(imageB);
    // /var is shared, not reseeded; the kernel is stored once.
    expect(await fs.readFile(path.join(layout.var("default"), "data.txt"), "utf8")).toBe("user data\n");
    expect(await fs.readdir(layout.kernels)).toHaveLength(1);

    // Booted into B: the trial ends.
    const onB = await bootedAs(b);
    expect((await markBootComplete(onB)).outcome).toBe("marked-good");
    expect((await sysroot.entrySet())?.trial).toBeUndefined();

    // kargs apply to the default deployment's next boot.
    await updateKargs(onB, { append: ["quiet"], replace: ["root=UUID=y"] });
    expect((await listKargs(onB)).kargs).toEqual(["root=UUID=y", "ro", "quiet"]);
    expect((await sysroot.entrySet())?.entries[0]?.options).toBe(
      `root=UUID=y ro quiet particle.deployment=${b}`,
    );
    await expect(updateKargs(onB, { delete: ["nosuch"] })).rejects.toMatchObject({ code: "KARG_NOT_FOUND" });

    // Rollback swaps default and rollback.
    const rb = await rollback(onB);
    expect(rb).toMatchObject({ deployment: a.deployment, previous: b });
    expect((await sysroot.entrySet())?.entries.map((e) => e.deployment)).toEqual([a.deployment, b]);
    expect((await status(onB)).spec.bootOrder).toBe("rollback");

    // Cleanup never removes the booted or the rollback deployment.
    expect((await cleanup(onB)).deployments).toEqual([]);

    // A third image: the booted B and the new C stay, A goes unless pinned.
    await setPinned(onB, true, a.deployment);
    await makeImage(store, dir, "os:latest", { ...treeB, "boot/vmlinuz-6.1.0-test": "kernel-3" }, "3");
    const up3 = await upgrade(onB, { finalize: true });
    expect(up3.outcome).toBe("finalized");
    const c = up3.deployment as string;
    expect((await sysroot.entrySet())?.entries.map((e) => e.deployment)).toEqual([c, b, a.deployment]);
    await setPinned(onB, false, a.deployment);
    const removed = await cleanup(onB);
    expect(removed.deployments).toEqual([]); // still an entry: entries are only rewritten by the next switch
    const onC = await bootedAs(c);
    await markBootComplete(onC);
    await makeImage(
      store,
      dir,
      "os:latest",
      { ...treeB, "boot/vmlinuz-6.1.0-test": "kernel-3", "etc/issue": "Particle 4\n" },
      "4",
    );
    const up4 = await upgrade(onC, { finalize: true });
    const entries = (await sysroot.entrySet())?.entries.map((e) => e.deployment);
    expect(entries).toEqual([up4.deployment, c]);
    expect([...(await sysroot.deployments()).keys()].sort()).toEqual([c, up4.deployment as string].sort());
    // Kernels no kept deployment uses are gone: C and D share kernel-3.
    expect(await fs.readdir(layout.kernels)).toHaveLength(1);
  });

  it("boot-counting-fallback: when the fallback boots after the trial, it becomes the default", async () => {
    const { dir, sysroot, store, bootedAs } = await setup("bootc-fallback");
    await makeImage(store, dir, "os:latest", baseTree("1"), "1");
    const a = await switchImage(sysroot, { reference: "os:latest", finalize: true });
    await makeImage(store, dir, "os:latest", baseTree("2"), "2");
    const b = await upgrade(await bootedAs(a.deployment), { finalize: true });
    const result = await markBootComplete(await bootedAs(a.deployment));
    expect(result).toMatchObject({ outcome: "fell-back", booted: a.deployment, trial: b.deployment });
    const set = await sysroot.entrySet();
    expect(set?.entries.map((e) => e.deployment)).toEqual([a.deployment, b.deployment]);
    expect(set?.trial).toBeUndefined();
  });
});
