import { promises as fs } from "node:fs";
import path from "node:path";
import { run } from "@particle/runtime";
import { destroyScratch, requireRoot } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootstrapDefaults } from "../src/build/bootstrap.js";
import type { AptLayerContext } from "../src/context.js";
import { listImagePackages } from "../src/image/inspect.js";
import { composeRecipe, resolveRecipe } from "../src/recipe/compose.js";
import { loadRecipe, parseRecipeYaml } from "../src/recipe/load.js";
import { layerFixture } from "./fixture.js";

const RECIPES = path.resolve(__dirname, "../../../recipes");
const defaults: BootstrapDefaults = { mirror: "", components: [], variant: "minbase", keyring: "" };

let dir: string;
let ctx: AptLayerContext;
let base: string;

beforeAll(async () => {
  requireRoot();
  ({ dir, ctx, base } = await layerFixture("recipe", { scope: "manual" }));
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

/** A tiny .deb made with dpkg-deb; `marker` changes its content (and so its digest). */
async function buildDeb(out: string, marker: string): Promise<void> {
  const tree = path.join(dir, `deb-${marker}`);
  await fs.mkdir(path.join(tree, "DEBIAN"), { recursive: true });
  await fs.mkdir(path.join(tree, "usr/share/recipe-local"), { recursive: true });
  await fs.writeFile(path.join(tree, "usr/share/recipe-local/marker"), `${marker}\n`);
  await fs.writeFile(
    path.join(tree, "DEBIAN/control"),
    "Package: recipe-local\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDepends: jq\nDescription: test\n test\n",
  );
  await run("dpkg-deb", ["--root-owner-group", "--build", tree, out]);
}

const RECIPE = `apiVersion: particle.dev/v1
kind: Recipe
metadata: { name: test/local, tag: "1" }
base: { bootstrap: { suite: trixie } }
packages: [less]
localPackages: [debs/recipe-local.deb]
files:
  - path: /etc/motd
    content: hello
users:
  - name: admin
    groups: [sudo]
`;

describe("apt-layer compose", () => {
  it("builds-a-recipe-as-cached-steps-and-rebuilds-from-a-changed-local-deb", async () => {
    const recipeDir = path.join(dir, "recipe");
    await fs.mkdir(path.join(recipeDir, "debs"), { recursive: true });
    await buildDeb(path.join(recipeDir, "debs/recipe-local.deb"), "one");
    await fs.writeFile(path.join(recipeDir, "local.yaml"), RECIPE);
    const recipe = await loadRecipe(path.join(recipeDir, "local.yaml"));
    const first = await composeRecipe(ctx, recipe, { defaults, baseOverride: base });
    expect(first.steps.map((s) => [s.kind, s.cached])).toEqual([
      ["packages", false],
      ["local-packages", false],
      ["files", false],
      ["users", false],
    ]);
    const listed = await listImagePackages(ctx.store, "test/local:1");
    expect(listed.packages.find((p) => p.name === "recipe-local")?.origin).toBe("local");
    expect(listed.packages.map((p) => p.name)).toEqual(expect.arrayContaining(["less", "jq"]));
    const view = path.join(dir, "view");
    await fs.mkdir(view);
    await ctx.store.mount("test/local:1", view);
    try {
      expect(await fs.readFile(path.join(view, "usr/share/recipe-local/marker"), "utf8")).toBe("one\n");
      expect(await fs.readFile(path.join(view, "etc/group"), "utf8")).toMatch(/^sudo:x:27:admin$/m);
    } finally {
      await ctx.store.unmount(view);
    }

    const again = await composeRecipe(ctx, recipe, { defaults, baseOverride: base });
    expect(again.steps.every((s) => s.cached)).toBe(true);
    expect(again.image.layers.map((l) => l.digest)).toEqual(first.image.layers.map((l) => l.digest));

    // A rebuilt .deb (other bytes, same name and version) rebuilds its step and what follows, not the archive packages.
    await fs.rm(path.join(recipeDir, "debs/recipe-local.deb"));
    await buildDeb(path.join(recipeDir, "debs/recipe-local.deb"), "two");
    const third = await composeRecipe(ctx, recipe, { defaults, baseOverride: base });
    expect(third.steps.map((s) => s.cached)).toEqual([true, false, false, false]);
  });

  it("refuses-a-bootable-recipe-without-the-particle-os-package", async () => {
    const recipe = parseRecipeYaml(
      RECIPE.replace("localPackages: [debs/recipe-local.deb]", "bootable: true"),
    );
    await expect(composeRecipe(ctx, recipe, { defaults, baseOverride: base })).rejects.toMatchObject({
      code: "PARTICLE_DEB_REQUIRED",
      exitCode: 2,
    });
  });
});

/** Bazzite's resolve (i386 lists, contrib and non-free) took 11 minutes on a 2-core machine at load 30. */
const RESOLVE_TIMEOUT_MS = 35 * 60_000;

describe("desktop recipes resolve against the Debian mirror", () => {
  for (const name of ["corona", "apex", "bazzite"]) {
    it(`${name}-resolves-with-apt`, { timeout: RESOLVE_TIMEOUT_MS }, async () => {
      const recipe = await loadRecipe(path.join(RECIPES, `${name}.yaml`));
      const resolution = await resolveRecipe(ctx, recipe, { defaults, baseOverride: base });
      const installs = resolution.plan.filter((a) => a.action === "install");
      for (const spec of recipe.packages) {
        const [pkg, arch] = spec.split(":") as [string, string | undefined];
        expect(installs.some((a) => a.name === pkg && (arch === undefined || a.architecture === arch))).toBe(
          true,
        );
      }
    });
  }
});
