import { promises as fs } from "node:fs";
import path from "node:path";
import { destroyScratch, requireRoot } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootstrapDefaults } from "../src/build/bootstrap.js";
import type { AptLayerContext } from "../src/context.js";
import { listImagePackages } from "../src/image/inspect.js";
import { composeRecipe, resolveRecipe } from "../src/recipe/compose.js";
import { loadRecipe, parseRecipeYaml } from "../src/recipe/load.js";
import { layerFixture } from "./fixture.js";

const RECIPES = path.resolve(__dirname, "../../../recipes");
const defaults: BootstrapDefaults = {
  mirror: "http://deb.debian.org/debian",
  components: ["main"],
  variant: "minbase",
  keyring: "",
};

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

describe("apt-layer compose", () => {
  it("builds-the-minimal-server-recipe-and-reuses-unchanged-steps", async () => {
    const recipe = await loadRecipe(path.join(RECIPES, "minimal-server.yaml"));
    const first = await composeRecipe(ctx, recipe, { defaults, baseOverride: base });
    expect(first.steps.map((s) => [s.kind, s.cached])).toEqual([
      ["packages", false],
      ["files", false],
      ["users", false],
      ["units", false],
      ["script", false],
    ]);
    expect(`${first.image.name}:${first.image.tag}`).toBe("particle/minimal-server:bookworm");
    const names = (await listImagePackages(ctx.store, "particle/minimal-server:bookworm")).packages.map(
      (p) => p.name,
    );
    expect(names).toEqual(
      expect.arrayContaining(["openssh-server", "linux-image-amd64", "systemd-sysv", "sudo"]),
    );

    const view = path.join(dir, "view");
    await fs.mkdir(view);
    await ctx.store.mount("particle/minimal-server:bookworm", view);
    try {
      expect(await fs.readFile(path.join(view, "etc/ssh/sshd_config.d/10-particle.conf"), "utf8")).toContain(
        "PasswordAuthentication no",
      );
      expect(await fs.readFile(path.join(view, "etc/passwd"), "utf8")).toMatch(
        /^admin:x:\d+:\d+::\/home\/admin:\/bin\/bash$/m,
      );
      expect(await fs.readFile(path.join(view, "etc/group"), "utf8")).toMatch(/^sudo:x:27:admin$/m);
      expect(
        await fs.readlink(path.join(view, "etc/systemd/system/multi-user.target.wants/ssh.service")),
      ).toBe("/lib/systemd/system/ssh.service");
      await fs.access(path.join(view, "etc/systemd/system/ssh.service.d/10-hostkeys.conf"));
      // No host keys in the image: each machine makes its own.
      expect((await fs.readdir(path.join(view, "etc/ssh"))).filter((n) => n.startsWith("ssh_host_"))).toEqual(
        [],
      );
      expect((await fs.readdir(path.join(view, "boot"))).some((n) => n.startsWith("vmlinuz-"))).toBe(true);
    } finally {
      await ctx.store.unmount(view);
    }

    const again = await composeRecipe(ctx, recipe, { defaults, baseOverride: base });
    expect(again.steps.every((s) => s.cached)).toBe(true);
    expect(again.image.layers.map((l) => l.digest)).toEqual(first.image.layers.map((l) => l.digest));

    // Changing the users step rebuilds it and what follows; the packages and files steps are reused.
    const edited = parseRecipeYaml(
      (await fs.readFile(path.join(RECIPES, "minimal-server.yaml"), "utf8")).replace(
        "name: admin",
        "name: operator",
      ),
    );
    const third = await composeRecipe(ctx, edited, { defaults, baseOverride: base });
    expect(third.steps.map((s) => s.cached)).toEqual([true, true, false, false, false]);
  });
});

describe("desktop recipes resolve against the Debian mirror", () => {
  for (const name of ["corona", "apex", "bazzite"]) {
    it(`${name}-resolves-with-apt`, async () => {
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
