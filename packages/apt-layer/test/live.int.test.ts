import { promises as fs } from "node:fs";
import path from "node:path";
import { mountsBelow } from "@particle/runtime";
import { destroyScratch, requireRoot } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AptLayerContext } from "../src/context.js";
import { listImagePackages } from "../src/image/inspect.js";
import { liveCommit, liveInstall, liveRollback, liveStatus } from "../src/live/overlay.js";
import { LABELS } from "../src/spec.js";
import { layerFixture } from "./fixture.js";
import { hostState } from "./host-state.js";

let dir: string;
let ctx: AptLayerContext;
let base: string;
let root: string;

const exists = (p: string) =>
  fs.access(path.join(root, p)).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  requireRoot();
  ({ dir, ctx, base } = await layerFixture("live", { scope: "manual" }));
  // A base with labels of its own (bootc reads the version), which a live commit must carry over.
  const imported = await ctx.store.resolve(base);
  await ctx.store.commitImage({
    name: "debian",
    tag: "versioned",
    layers: [...imported.layers],
    labels: { ...imported.labels, "org.opencontainers.image.version": "12.0" },
  });
  base = "debian:versioned";
  // The "running system": the base image mounted read-only, as a booted Particle root is.
  root = path.join(dir, "root");
  await fs.mkdir(root);
  await ctx.store.mount(base, root);
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

describe("live overlay", () => {
  it("installs-live-then-commits-the-changes-as-a-new-image", async () => {
    const before = await hostState();
    const status = await liveInstall(ctx, { root, base, packages: ["jq"] });
    expect(status.active).toBe(true);
    expect(await exists("usr/bin/jq")).toBe(true);
    expect(status.changes?.added.map((p) => p.name)).toEqual(expect.arrayContaining(["jq", "libjq1"]));
    await liveInstall(ctx, { root, packages: ["less"] });
    expect((await liveStatus(ctx, { root })).installed).toEqual(["jq", "less"]);
    // A failed later install leaves the live changes as they were: it ran on a staged copy.
    await expect(liveInstall(ctx, { root, packages: ["no-such-package-xyz"] })).rejects.toMatchObject({
      code: "PACKAGE_NOT_FOUND",
    });
    expect((await liveStatus(ctx, { root })).installed).toEqual(["jq", "less"]);
    expect(await exists("usr/bin/jq")).toBe(true);

    const deployed: string[] = [];
    const { image, deployment } = await liveCommit(ctx, {
      root,
      message: "jq and less",
      target: "live/1",
      deploy: async (committed) => {
        deployed.push(committed.manifestDigest);
        return "default/live-1";
      },
    });
    expect(deployed).toEqual([image.manifestDigest]);
    expect(deployment).toEqual({ staged: "default/live-1" });
    expect(image.labels[LABELS.message]).toBe("jq and less");
    expect(image.labels["org.opencontainers.image.version"]).toBe("12.0");
    expect(JSON.parse(image.labels[LABELS.requested] ?? "")).toEqual(["jq", "less"]);
    expect(image.layers).toHaveLength(2);
    const names = (await listImagePackages(ctx.store, "live/1")).packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["jq", "less"]));
    // The overlay is gone: the root is the image it was.
    expect((await liveStatus(ctx, { root })).active).toBe(false);
    expect(await exists("usr/bin/jq")).toBe(false);
    expect((await mountsBelow(root)).filter((m) => m.mountPoint !== root)).toEqual([]);
    expect(await hostState()).toEqual(before);
  });

  it("keeps-the-committed-image-and-names-it-when-deploying-fails", async () => {
    await liveInstall(ctx, { root, base, packages: ["jq"] });
    const failing = liveCommit(ctx, {
      root,
      message: "jq",
      target: "live/2",
      deploy: async () => {
        throw new Error("no sysroot");
      },
    });
    await expect(failing).rejects.toMatchObject({
      code: "LIVE_DEPLOY_FAILED",
      message: expect.stringContaining("live:2"),
    });
    expect((await listImagePackages(ctx.store, "live/2")).packages.map((p) => p.name)).toContain("jq");
    expect((await liveStatus(ctx, { root })).active).toBe(false);
  });

  it("rolls-back-live-changes", async () => {
    await liveInstall(ctx, { root, base, packages: ["jq"] });
    expect(await exists("usr/bin/jq")).toBe(true);
    const status = await liveRollback(ctx, { root });
    expect(status.active).toBe(false);
    expect(await exists("usr/bin/jq")).toBe(false);
    await expect(liveRollback(ctx, { root })).rejects.toMatchObject({ code: "LIVE_NOT_ACTIVE" });
  });

  it("leaves-no-overlay-when-the-first-live-install-fails", async () => {
    await expect(liveInstall(ctx, { root, base, packages: ["no-such-package-xyz"] })).rejects.toMatchObject({
      code: "PACKAGE_NOT_FOUND",
    });
    expect((await liveStatus(ctx, { root })).active).toBe(false);
    expect((await mountsBelow(root)).length).toBe(1);
  });

  it("refuses-the-machine-root-and-a-commit-without-an-overlay", async () => {
    await expect(liveInstall(ctx, { root: "/", base, packages: ["jq"] })).rejects.toMatchObject({
      code: "LIVE_ROOT_UNSUPPORTED",
    });
    // The machine's root under another name (status and commit only: they mount nothing even if unguarded).
    const alias = path.join(dir, "machine-root");
    await fs.symlink("/", alias);
    for (const other of [alias, "/proc/self/root"]) {
      await expect(liveStatus(ctx, { root: other })).rejects.toMatchObject({ code: "LIVE_ROOT_UNSUPPORTED" });
      await expect(liveCommit(ctx, { root: other, message: "x" })).rejects.toMatchObject({
        code: "LIVE_ROOT_UNSUPPORTED",
      });
    }
    await expect(liveCommit(ctx, { root, message: "nothing" })).rejects.toMatchObject({
      code: "LIVE_NOT_ACTIVE",
    });
  });
});
