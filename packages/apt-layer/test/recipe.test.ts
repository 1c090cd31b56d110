import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fetchKey, resolveSources, stepKey } from "../src/recipe/compose.js";
import { loadRecipe, parseRecipeYaml } from "../src/recipe/load.js";
import { recipeSteps, sourcesFile } from "../src/recipe/steps.js";

const RECIPES = path.resolve(__dirname, "../../../recipes");

describe("shipped recipes", () => {
  it("are all valid", async () => {
    const files = (await fs.readdir(RECIPES)).filter((f) => f.endsWith(".yaml"));
    expect(files.sort()).toEqual(["apex.yaml", "bazzite.yaml", "corona.yaml", "minimal-server.yaml"]);
    for (const file of files) {
      const recipe = parseRecipeYaml(await fs.readFile(path.join(RECIPES, file), "utf8"), file);
      expect(recipe.packages.length).toBeGreaterThan(0);
    }
  });

  it("bazzite enables 32-bit packages and tunes the system for games", async () => {
    const recipe = parseRecipeYaml(await fs.readFile(path.join(RECIPES, "bazzite.yaml"), "utf8"));
    expect(recipe.architectures).toEqual(["i386"]);
    expect(recipe.packages).toEqual(
      expect.arrayContaining(["steam-installer", "wine", "wine32:i386", "gamemode"]),
    );
    expect(recipe.files.map((f) => f.path)).toContain("/etc/sysctl.d/90-particle-gaming.conf");
  });
});

const MINIMAL = `apiVersion: particle.dev/v1
kind: Recipe
metadata: { name: demo }
base: { image: debian/bookworm }
packages: [jq]
files:
  - path: /etc/motd
    content: hello
scripts:
  - name: one
    run: echo one
`;

describe("recipe validation", () => {
  it("fills defaults", () => {
    const recipe = parseRecipeYaml(MINIMAL);
    expect(recipe.metadata.tag).toBe("latest");
    expect(recipe.files[0]?.mode).toBe("0644");
    expect(recipe.units).toEqual({ enable: [], disable: [], mask: [] });
  });

  it("names every bad field", () => {
    const bad = MINIMAL.replace("packages: [jq]", "packages: [-oAPT::x]\nextra: 1").replace(
      "/etc/motd",
      "etc/../motd",
    );
    expect(() => parseRecipeYaml(bad, "bad.yaml")).toThrow(
      expect.objectContaining({
        code: "RECIPE_INVALID",
        message: expect.stringMatching(/packages\.0:[\s\S]*files\.0\.path:[\s\S]*extra/),
      }),
    );
  });

  it("refuses a bootstrap suite without a profile, naming the known ones", () => {
    const recipe = MINIMAL.replace(
      "base: { image: debian/bookworm }",
      "base: { bootstrap: { suite: buster } }",
    );
    expect(() => parseRecipeYaml(recipe, "old.yaml")).toThrow(
      expect.objectContaining({ code: "SUITE_UNKNOWN", message: expect.stringContaining("trixie") }),
    );
  });

  it("resolves local packages against the recipe's directory when loaded from a file", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "recipe-"));
    try {
      await fs.writeFile(
        path.join(dir, "r.yaml"),
        `${MINIMAL}localPackages: [debs/a_1_all.deb, /srv/b_1_all.deb]\n`,
      );
      expect((await loadRecipe(path.join(dir, "r.yaml"))).localPackages).toEqual([
        path.join(dir, "debs/a_1_all.deb"),
        "/srv/b_1_all.deb",
      ]);
    } finally {
      await fs.rm(dir, { recursive: true });
    }
    expect(() => parseRecipeYaml(`${MINIMAL}localPackages: [notes.txt]\n`)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining("localPackages.0: must be the path of a .deb file"),
      }),
    );
  });

  it("refuses text that is not YAML", () => {
    expect(() => parseRecipeYaml("a: [", "broken.yaml")).toThrow(
      expect.objectContaining({ code: "RECIPE_INVALID", exitCode: 4 }),
    );
  });
});

describe("recipe steps and cache keys", () => {
  it("orders steps: apt setup, packages, files, users, units, one per script", () => {
    const recipe = parseRecipeYaml(
      `${MINIMAL}architectures: [i386]\nusers: [{ name: ann }]\nunits: { enable: [ssh.service] }\n`,
    );
    expect(recipeSteps(recipe, { sources: [] }).map((s) => s.kind)).toEqual([
      "apt-setup",
      "packages",
      "files",
      "users",
      "units",
      "script",
    ]);
  });

  it("adds bootable packages to the packages step and local .debs as a step of their own", () => {
    const recipe = parseRecipeYaml(`${MINIMAL}bootable: true\n`);
    const debs = [{ path: "/a/particle-os.deb", sha256: "a".repeat(64) }];
    const steps = recipeSteps(recipe, {
      sources: [],
      bootPackages: ["linux-image-amd64", "jq"],
      localDebs: debs,
    });
    expect(steps.map((s) => s.kind)).toEqual(["packages", "local-packages", "files", "script"]);
    expect(steps[0]).toEqual({ kind: "packages", install: ["linux-image-amd64", "jq"], remove: [] });
    expect(steps[1]).toEqual({ kind: "local-packages", debs });
    // A local .deb keys the cache by its digest, not by where it lies.
    const parent = `sha256:${"1".repeat(64)}`;
    const moved = { kind: "local-packages" as const, debs: [{ path: "/b/x.deb", sha256: "a".repeat(64) }] };
    const changed = {
      kind: "local-packages" as const,
      debs: [{ path: "/a/particle-os.deb", sha256: "b".repeat(64) }],
    };
    expect(stepKey(parent, moved)).toBe(stepKey(parent, steps[1]!));
    expect(stepKey(parent, changed)).not.toBe(stepKey(parent, steps[1]!));
  });

  it("changes a step's key when its content or its parent changes, and only then", () => {
    const a = recipeSteps(parseRecipeYaml(MINIMAL), { sources: [] });
    const b = recipeSteps(parseRecipeYaml(MINIMAL.replace("content: hello", "content: bye")), {
      sources: [],
    });
    const parent = `sha256:${"1".repeat(64)}`;
    expect(stepKey(parent, a[0]!)).toBe(stepKey(parent, b[0]!));
    expect(stepKey(parent, a[1]!)).not.toBe(stepKey(parent, b[1]!));
    expect(stepKey(`sha256:${"2".repeat(64)}`, a[0]!)).not.toBe(stepKey(parent, a[0]!));
  });

  it("fetches keys named by URL so their bytes key the cache", async () => {
    const recipe = parseRecipeYaml(
      `${MINIMAL}sources:\n  - name: vendor\n    uris: [https://example.org/apt]\n    suites: [stable]\n    components: [main]\n    key: { url: https://example.org/key.asc }\n`,
    );
    const key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----\n";
    const sources = await resolveSources(recipe, async () => key);
    expect(sourcesFile(sources[0]!)).toBe(
      [
        "Types: deb",
        "URIs: https://example.org/apt",
        "Suites: stable",
        "Components: main",
        "Signed-By:",
        " -----BEGIN PGP PUBLIC KEY BLOCK-----",
        " .",
        " mQINBF",
        " -----END PGP PUBLIC KEY BLOCK-----",
        "",
      ].join("\n"),
    );
  });

  it("names the URL with a code when a key cannot be fetched", async () => {
    const server = http.createServer((_, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(fetchKey(`http://127.0.0.1:${port}/key.asc`)).rejects.toMatchObject({
        code: "KEY_FETCH_FAILED",
        message: expect.stringContaining("HTTP 404"),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nothing listens there any more: a network failure gets the same code.
    await expect(fetchKey(`http://127.0.0.1:${port}/key.asc`)).rejects.toMatchObject({
      code: "KEY_FETCH_FAILED",
    });
  });
});
