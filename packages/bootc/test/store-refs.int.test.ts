import path from "node:path";
import { Store } from "@particle/composefs";
import { pathExists } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  DEPLOY_TAG_NAME,
  deploymentTag,
  initSysroot,
  switchImage,
  tagDeployments,
} from "../src/index.js";
import { baseTree, makeImage } from "./support/images.js";

beforeAll(() => requireRoot());

/** A sysroot with one finalized deployment of `os:a` whose only store reference is its tag. */
async function legacyDeployment(name: string) {
  const dir = await scratchDir(name);
  const storeRunDir = path.join(dir, "run");
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir });
  const store = await Store.open(sysroot.layout.store, { runDir: storeRunDir });
  await makeImage(store, dir, "os:a", baseTree("1"), "1");
  const a = await switchImage(sysroot, { reference: "os:a", finalize: true });
  await store.remove("os:a");
  // As a deployment staged before the tags existed: nothing in the store refers to its image.
  await store.remove(deploymentTag(a.origin.stateroot, a.origin.id));
  const deployTags = async () =>
    (await store.list()).filter((i) => i.name === DEPLOY_TAG_NAME).map((i) => `${i.name}:${i.tag}`);
  const layer = a.origin.layers[0]?.digest as string;
  return { dir, sysroot, store, a, deployTags, layer };
}

describe("deployments without a store tag (staged before the tags existed)", () => {
  it("legacy-deployments-get-tags: a writing verb (cleanup) tags them, and gc then keeps their images", async () => {
    const { sysroot, store, a, deployTags, layer } = await legacyDeployment("bootc-legacy-tags");
    expect(await deployTags()).toEqual([]);
    await cleanup(sysroot);
    expect(await deployTags()).toEqual([deploymentTag(a.origin.stateroot, a.origin.id)]);
    expect((await store.resolve(deploymentTag(a.origin.stateroot, a.origin.id))).manifestDigest).toBe(
      a.origin.image.manifestDigest,
    );
    const report = await store.gc({ minAgeMs: 0, keepHistory: 0 });
    expect(report.removed.map((b) => b.digest)).not.toContain(layer);
    expect(await pathExists(store.blobPath(layer))).toBe(true);
    expect(await pathExists(store.blobPath(a.origin.image.manifestDigest))).toBe(true);
    // Idempotent: a second pass finds nothing to tag.
    expect(await tagDeployments(store, await sysroot.deployments())).toEqual({ tagged: [], untaggable: [] });
  });

  it("without the migration gc frees the image (the test above can fail); an image already gone is reported, not fatal", async () => {
    const { sysroot, store, a, layer } = await legacyDeployment("bootc-legacy-untagged");
    const report = await store.gc({ minAgeMs: 0, keepHistory: 0 });
    expect(report.removed.map((b) => b.digest)).toContain(layer);
    expect(await tagDeployments(store, await sysroot.deployments())).toEqual({
      tagged: [],
      untaggable: [a.deployment],
    });
    // Every writing verb still works, so cleanup can remove what cannot be repaired.
    await expect(cleanup(sysroot)).resolves.toMatchObject({ deployments: [] });
  });
});
