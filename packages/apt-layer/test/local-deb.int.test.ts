import { promises as fs } from "node:fs";
import path from "node:path";
import { mountsBelow, run, sha256File } from "@particle/runtime";
import { destroyScratch, requireRoot } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layerPackages } from "../src/build/install.js";
import { rebaseImage } from "../src/build/rebase.js";
import { type AptLayerContext, statePaths } from "../src/context.js";
import { imageSbom, listImagePackages } from "../src/image/inspect.js";
import { LABELS } from "../src/spec.js";
import { layerFixture } from "./fixture.js";
import { hostState } from "./host-state.js";

let dir: string;
let ctx: AptLayerContext;
let base: string;

/** A tiny .deb made with dpkg-deb: one file, and a dependency on an archive package. */
async function buildDeb(name: string, version: string, depends: string): Promise<string> {
  const tree = path.join(dir, `deb-${name}-${version}`);
  await fs.mkdir(path.join(tree, "DEBIAN"), { recursive: true });
  await fs.mkdir(path.join(tree, "usr/share", name), { recursive: true });
  await fs.writeFile(path.join(tree, "usr/share", name, "hello"), `${name} ${version}\n`);
  await fs.writeFile(
    path.join(tree, "DEBIAN/control"),
    [
      `Package: ${name}`,
      `Version: ${version}`,
      "Architecture: all",
      "Maintainer: Particle-OS tests <tests@example.invalid>",
      `Depends: ${depends}`,
      "Description: a local package of the apt-layer tests",
      "",
    ].join("\n"),
  );
  const deb = path.join(dir, `${name}_${version}_all.deb`);
  await run("dpkg-deb", ["--root-owner-group", "--build", tree, deb]);
  return deb;
}

async function imageNames(): Promise<string[]> {
  return (await ctx.store.list()).map((i) => `${i.name}:${i.tag}`).sort();
}

async function noBuildLeftovers(): Promise<void> {
  expect(await mountsBelow(statePaths(ctx).builds)).toEqual([]);
  expect(await fs.readdir(statePaths(ctx).builds)).toEqual([]);
  expect(await ctx.store.mounts()).toEqual([]);
}

beforeAll(async () => {
  requireRoot();
  ({ dir, ctx, base } = await layerFixture("local-deb", { scope: "manual" }));
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

describe("apt-layer BASE NEW ./x.deb PKG...", () => {
  it("installs-a-local-deb-with-the-archive-packages-it-needs-and-records-it-as-local", async () => {
    const deb = await buildDeb("particle-test-local", "1.0", "jq");
    const before = await hostState();
    const result = await layerPackages(ctx, {
      base,
      target: "local/1",
      install: ["less"],
      localDebs: [{ path: deb }],
    });
    expect(await hostState()).toEqual(before);
    // apt resolved the local package and its archive dependency in one plan.
    expect(result.plan.filter((a) => a.action === "install").map((a) => a.name)).toEqual(
      expect.arrayContaining(["particle-test-local", "jq", "less"]),
    );
    const sha256 = await sha256File(deb);
    const listed = await listImagePackages(ctx.store, "local/1");
    expect(listed.packages.find((p) => p.name === "particle-test-local")).toEqual({
      name: "particle-test-local",
      architecture: "all",
      version: "1.0",
      origin: "local",
      sha256,
    });
    expect(listed.packages.find((p) => p.name === "jq")?.origin).toBeUndefined();
    // Rebase re-resolves `requested` from the archive: a local file is not part of it.
    expect(listed.requested).toEqual(["less"]);
    const sbom = await imageSbom(ctx.store, "local/1", "apt-layer-test");
    const entry = sbom.packages.find((p) => p.name === "particle-test-local");
    expect(entry?.checksums).toEqual([{ algorithm: "SHA256", checksumValue: sha256 }]);
    expect(entry?.externalRefs).toBeUndefined();
    const view = path.join(dir, "view");
    await fs.mkdir(view);
    await ctx.store.mount("local:1", view);
    try {
      expect(await fs.readFile(path.join(view, "usr/share/particle-test-local/hello"), "utf8")).toBe(
        "particle-test-local 1.0\n",
      );
      await fs.access(path.join(view, "usr/bin/jq"));
      // The copy apt read was bound in for the build only: nothing of it is in the image.
      expect(await fs.readdir(path.join(view, "run"))).toEqual([]);
    } finally {
      await ctx.store.unmount(view);
    }
    await noBuildLeftovers();
  });

  it("keeps-the-local-record-in-later-layers-until-the-package-changes", async () => {
    await layerPackages(ctx, { base: "local/1", target: "local/2", install: ["file"] });
    expect(
      (await listImagePackages(ctx.store, "local/2")).packages.find((p) => p.name === "particle-test-local")
        ?.origin,
    ).toBe("local");
    await layerPackages(ctx, { base: "local/2", target: "local/3", remove: ["particle-test-local"] });
    expect((await ctx.store.resolve("local:3")).labels[LABELS.local]).toBeUndefined();
  });

  it("refuses-to-rebase-an-image-with-local-packages", async () => {
    await expect(
      rebaseImage(ctx, { image: "local/1", newBase: base, target: "local/rebased" }),
    ).rejects.toMatchObject({
      code: "REBASE_LOCAL_PACKAGES",
      message: expect.stringContaining("particle-test-local"),
    });
  });
});

describe("a hostile local .deb path", () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    [
      "symlink",
      async () => {
        const link = path.join(dir, "link.deb");
        await fs.symlink(await buildDeb("particle-test-target", "1.0", "less"), link);
        return link;
      },
      /is a symbolic link/,
    ],
    [
      "fifo",
      async () => {
        const fifo = path.join(dir, "pipe.deb");
        await run("mkfifo", [fifo]);
        return fifo;
      },
      /is not a regular file/,
    ],
    [
      "huge",
      async () => {
        // Sparse: 3 GiB by its size, no disk used.
        const huge = path.join(dir, "huge.deb");
        await run("truncate", ["-s", "3G", huge]);
        return huge;
      },
      /is larger than 2 GiB/,
    ],
    [
      "not-a-deb",
      async () => {
        const fake = path.join(dir, "fake.deb");
        await fs.writeFile(fake, "not an ar archive\n");
        return fake;
      },
      /is not a Debian package/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(`refuses-a-${name}-and-builds-nothing`, async () => {
      const file = await make();
      const before = await imageNames();
      await expect(
        layerPackages(ctx, { base, target: `hostile/${name}`, localDebs: [{ path: file }] }),
      ).rejects.toMatchObject({ code: "LOCAL_DEB_INVALID", exitCode: 4, message });
      expect(await imageNames()).toEqual(before);
      await noBuildLeftovers();
    });
  }
});
