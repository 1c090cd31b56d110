import { promises as fs } from "node:fs";
import path from "node:path";
import { mountsBelow } from "@particle/runtime";
import { destroyScratch, requireRoot } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditLog, verifyAuditLog } from "../src/audit.js";
import { layerPackages } from "../src/build/install.js";
import { buildLayer } from "../src/build/layer.js";
import { rebaseImage } from "../src/build/rebase.js";
import { type AptLayerContext, statePaths, withTransaction } from "../src/context.js";
import { diffImages, imageSbom, listImagePackages } from "../src/image/inspect.js";
import { LABELS } from "../src/spec.js";
import { saveTenant } from "../src/tenants.js";
import { layerFixture } from "./fixture.js";
import { hostState } from "./host-state.js";

let dir: string;
let ctx: AptLayerContext;
let base: string;

beforeAll(async () => {
  requireRoot();
  ({ dir, ctx, base } = await layerFixture("layer", { scope: "manual" }));
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

async function imageNames(): Promise<string[]> {
  return (await ctx.store.list()).map((i) => `${i.name}:${i.tag}`).sort();
}

async function withMounted<T>(ref: string, body: (root: string) => Promise<T>): Promise<T> {
  const target = await fs.mkdtemp(path.join(dir, "view-"));
  await ctx.store.mount(ref, target);
  try {
    return await body(target);
  } finally {
    await ctx.store.unmount(target);
  }
}

async function noBuildLeftovers(): Promise<void> {
  expect(await mountsBelow(statePaths(ctx).builds)).toEqual([]);
  expect(await fs.readdir(statePaths(ctx).builds)).toEqual([]);
  expect(await ctx.store.mounts()).toEqual([]);
}

describe("apt-layer BASE NEW PKG...", () => {
  it("commits-a-layer-with-the-packages-and-their-metadata-without-touching-the-host", async () => {
    const before = await hostState();
    const result = await layerPackages(ctx, { base, target: "tools/1", install: ["jq"] });
    expect(await hostState()).toEqual(before);
    expect(result.image.layers).toHaveLength(2);
    expect(JSON.parse(result.image.labels[LABELS.requested] ?? "")).toEqual(["jq"]);
    const listed = await listImagePackages(ctx.store, "tools/1");
    expect(listed.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(["jq", "libjq1", "libonig5", "bash"]),
    );
    await withMounted("tools:1", async (root) => {
      await fs.access(path.join(root, "usr/bin/jq"));
      // Hygiene: no apt lists, caches, logs of the build, no policy-rc.d.
      expect(
        await fs
          .readdir(path.join(root, "var/lib/apt/lists"))
          .then((n) => n.filter((x) => x !== "partial" && x !== "lock")),
      ).toEqual([]);
      expect(
        await fs
          .readdir(path.join(root, "var/cache/apt/archives"))
          .then((n) => n.filter((x) => x.endsWith(".deb"))),
      ).toEqual([]);
      await expect(fs.access(path.join(root, "var/log/apt/history.log"))).rejects.toThrow();
      await expect(fs.access(path.join(root, "usr/sbin/policy-rc.d"))).rejects.toThrow();
      // The image's own dpkg database lists what it contains.
      expect(await fs.readFile(path.join(root, "var/lib/dpkg/status"), "utf8")).toContain("Package: jq\n");
    });
    await noBuildLeftovers();
  });

  it("gives-the-same-layer-for-the-same-inputs", async () => {
    const again = await layerPackages(ctx, { base, target: "tools/again", install: ["jq"] });
    const first = await ctx.store.resolve("tools:1");
    expect(again.layer.digest).toBe(first.layers[1]?.digest);
  });

  it("fails-on-a-missing-package-before-building-naming-it", async () => {
    const before = await imageNames();
    await expect(
      layerPackages(ctx, { base, target: "broken/1", install: ["jq", "no-such-package-xyz"] }),
    ).rejects.toMatchObject({
      code: "PACKAGE_NOT_FOUND",
      message: expect.stringContaining("no-such-package-xyz"),
    });
    expect(await imageNames()).toEqual(before);
    await noBuildLeftovers();
  });

  it("rolls-back-when-the-install-itself-fails", async () => {
    const before = await imageNames();
    // dpkg refuses to run (a Pre-Invoke hook fails), so apt fails mid-transaction, after resolving and downloading.
    const attempt = withTransaction(ctx, "apt-layer.build", { target: "broken:2" }, (scope) =>
      buildLayer(ctx, scope, {
        base,
        target: { name: "broken", tag: "2" },
        install: ["jq"],
        customize: (env) =>
          env
            .run(["sh", "-c", "echo 'DPkg::Pre-Invoke {\"/bin/false\";};' > /etc/apt/apt.conf.d/99fail"])
            .then(() => {}),
      }),
    );
    await expect(attempt).rejects.toMatchObject({ code: "APT_FAILED" });
    expect(await imageNames()).toEqual(before);
    await noBuildLeftovers();
  });

  it("records-dependencies-as-automatically-installed", async () => {
    await withMounted("tools:1", async (root) => {
      const states = await fs.readFile(path.join(root, "var/lib/apt/extended_states"), "utf8");
      expect(states).toMatch(/Package: libjq1\nArchitecture: amd64\nAuto-Installed: 1/);
      expect(states).not.toMatch(/Package: jq\n/);
    });
  });

  it("removes-packages-as-a-new-layer-and-diffs-images", async () => {
    await layerPackages(ctx, { base: "tools/1", target: "tools/2", remove: ["jq"], install: ["less"] });
    const listed = await listImagePackages(ctx.store, "tools/2");
    expect(listed.packages.map((p) => p.name)).not.toContain("jq");
    expect(listed.requested).toEqual(["less"]);
    expect(listed.removed).toEqual(["jq"]);
    const diff = await diffImages(ctx.store, "tools/1", "tools/2");
    expect(diff.added.map((p) => p.name)).toContain("less");
    expect(diff.removed.map((p) => p.name)).toContain("jq");
    await withMounted("tools:2", async (root) => {
      await expect(fs.access(path.join(root, "usr/bin/jq"))).rejects.toThrow();
      await fs.access(path.join(root, "usr/bin/less"));
    });
  });

  it("writes-an-spdx-sbom-of-every-package", async () => {
    const sbom = await imageSbom(ctx.store, "tools/1", "apt-layer-test");
    expect(sbom.spdxVersion).toBe("SPDX-2.3");
    const names = sbom.packages.map((p) => p.name);
    expect(names).toContain("jq");
    expect(names.length).toBe((await listImagePackages(ctx.store, "tools/1")).packages.length + 1);
  });

  it("rebases-requested-packages-onto-a-new-base", async () => {
    await layerPackages(ctx, { base, target: "debian/next", install: ["file"] });
    const result = await rebaseImage(ctx, {
      image: "tools/1",
      newBase: "debian/next",
      target: "tools/rebased",
    });
    const names = (await listImagePackages(ctx.store, "tools/rebased")).packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["jq", "file"]));
    expect(result.image.layers).toHaveLength(3);
    expect(result.image.labels[LABELS.baseDigest]).toBe(
      (await ctx.store.resolve("debian:next")).manifestDigest,
    );
  });

  it("refuses-a-tenant-image-over-quota-or-from-a-non-member", async () => {
    await saveTenant(statePaths(ctx).tenants, "acme", { quotaBytes: 1024, group: "acme-builders" });
    await expect(layerPackages(ctx, { base, target: "acme/tools:1", install: ["jq"] })).rejects.toMatchObject(
      { code: "QUOTA_EXCEEDED" },
    );
    const stranger = { ...ctx, caller: { uid: 4242, name: "mallory", groups: ["users"] } };
    await expect(
      layerPackages(stranger, { base, target: "acme/tools:1", install: ["jq"] }),
    ).rejects.toMatchObject({ code: "TENANT_DENIED" });
    await saveTenant(statePaths(ctx).tenants, "acme", { quotaBytes: 2 ** 34, group: "acme-builders" });
    const member = { ...ctx, caller: { uid: 4243, name: "ann", groups: ["acme-builders"] } };
    await layerPackages(member, { base, target: "acme/tools:1", install: ["jq"] });
    expect(await imageNames()).toContain("acme/tools:1");
  });

  it("audits-every-transaction-in-a-verifiable-hash-chain", async () => {
    const entries = await readAuditLog(statePaths(ctx).audit);
    expect(entries.some((e) => e.target === "tools:1" && e.result === "success")).toBe(true);
    expect(
      entries.some(
        (e) => e.target === "broken:1" && e.result === "failure" && e.error?.includes("no-such-package-xyz"),
      ),
    ).toBe(true);
    expect((await verifyAuditLog(statePaths(ctx).audit)).entries).toBe(entries.length);
    const text = await fs.readFile(statePaths(ctx).audit, "utf8");
    await fs.writeFile(statePaths(ctx).audit, text.replace('"target":"tools:1"', '"target":"tools:9"'));
    await expect(verifyAuditLog(statePaths(ctx).audit)).rejects.toMatchObject({ code: "AUDIT_TAMPERED" });
    await fs.writeFile(statePaths(ctx).audit, text);
  });
});
