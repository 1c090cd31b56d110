import { promises as fs } from "node:fs";
import path from "node:path";
import { openStore } from "@particle/apt-layer";
import { initSysroot, Sysroot, switchImage } from "@particle/bootc";
import { DEFAULT_SETTINGS, type Settings } from "@particle/config";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { baseTree, makeImage } from "../../../packages/bootc/test/support/images.js";
import { particleDeploy } from "../src/commands/live.js";

beforeAll(() => requireRoot());

/** A sysroot with one deployment, and settings that name it; `booted` says whether the machine runs it. */
async function particleSystem(name: string, booted: boolean) {
  const dir = await scratchDir(name);
  const run = path.join(dir, "run");
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir: run });
  const store = await openStore(sysroot.layout.store, { runDir: run });
  await makeImage(store, dir, "os:1", baseTree("1"), "1");
  const first = await switchImage(sysroot, { reference: "os:1", finalize: true });
  if (booted) {
    await fs.mkdir(run, { recursive: true });
    await fs.writeFile(path.join(run, "booted"), `${first.deployment}\n`);
  }
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    paths: { ...DEFAULT_SETTINGS.paths, sysroot: sysroot.root, run, cache: path.join(dir, "cache") },
    registry: { ...DEFAULT_SETTINGS.registry, auth_file: path.join(dir, "auth.json") },
  };
  return { dir, run, sysroot, store, settings };
}

async function stagedOrigin(root: string, run: string) {
  const store = await openStore(path.join(root, "particle/store"), { runDir: run });
  const sysroot = await Sysroot.open(root, { store });
  const staged = (await sysroot.staged()).get("default");
  if (staged === undefined) throw new Error("nothing staged");
  return sysroot.origin(`default/${staged.deployment}`);
}

describe("live commit hands the image to bootc", () => {
  it("stages-the-committed-image-from-the-sysroot-store-by-digest-following-its-tag", async () => {
    const { dir, run, sysroot, store, settings } = await particleSystem("apt-layer-deploy-same", true);
    const digest = await makeImage(store, dir, "os:live", baseTree("2"), "2");
    const deploy = await particleDeploy(settings, store.root);
    expect(deploy).toBeDefined();
    const deployment = await deploy?.(await store.resolve("os:live"));
    const origin = await stagedOrigin(sysroot.root, run);
    expect(deployment).toBe(`default/${origin.id}`);
    expect(origin.image).toMatchObject({ manifestDigest: digest, reference: "os:live", version: "2" });
  });

  it("imports-the-committed-image-from-another-store-through-its-oci-layout", async () => {
    const { dir, run, sysroot, settings } = await particleSystem("apt-layer-deploy-other", true);
    const aptStore = await openStore(path.join(dir, "apt-store"), { create: true, runDir: run });
    await makeImage(aptStore, dir, "live:1", baseTree("2"), "2");
    const committed = await aptStore.resolve("live:1");
    const deploy = await particleDeploy(settings, aptStore.root);
    const deployment = await deploy?.(committed);
    const origin = await stagedOrigin(sysroot.root, run);
    expect(deployment).toBe(`default/${origin.id}`);
    expect(origin.image.reference).toBe(`oci:${aptStore.root}:live:1`);
    expect(origin.layers.map((l) => l.digest)).toEqual(committed.layers.map((l) => l.digest));
  });

  it("deploys-nothing-unless-the-machine-runs-a-particle-deployment", async () => {
    const { dir, store, settings } = await particleSystem("apt-layer-deploy-none", false);
    expect(await particleDeploy(settings, store.root)).toBeUndefined();
    const elsewhere = { ...settings, paths: { ...settings.paths, sysroot: path.join(dir, "missing") } };
    expect(await particleDeploy(elsewhere, store.root)).toBeUndefined();
  });
});
