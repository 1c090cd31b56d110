import { promises as fs } from "node:fs";
import path from "node:path";
import { mountsBelow } from "@particle/runtime";
import { debianRootfs, destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, cliEnv } from "./cli-env.js";

const BIN = path.resolve(__dirname, "../dist/apt-layer.mjs");
let dir: string;
let env: Record<string, string>;

function aptLayer(args: string[], extra: Record<string, string> = {}, cwd?: string) {
  return execa("node", [BIN, ...args], { reject: false, env: { ...env, ...extra }, ...(cwd ? { cwd } : {}) });
}

async function images(): Promise<string[]> {
  const index = JSON.parse(await fs.readFile(path.join(dir, "store/index.json"), "utf8")) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  return index.manifests
    .map((m) => m.annotations?.["org.opencontainers.image.ref.name"] ?? "")
    .filter(Boolean)
    .sort();
}

beforeAll(async () => {
  requireRoot();
  dir = await scratchDir("apt-layer-cli", { scope: "manual" });
  env = cliEnv(dir);
  const imported = await aptLayer(["import-rootfs", await debianRootfs(), BASE]);
  expect(imported.stderr).toBe("");
  expect(imported.exitCode).toBe(0);
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

describe("apt-layer CLI", () => {
  it("layers-packages-in-the-seed-form-and-reports-them", async () => {
    const built = await aptLayer([BASE, "tools/1", "jq", "--json"]);
    expect(built.exitCode).toBe(0);
    const doc = JSON.parse(built.stdout);
    expect(doc).toMatchObject({ apiVersion: "particle.dev/v1", kind: "LayerResult", image: "tools:1" });
    expect(doc.installed.map((p: { name: string }) => p.name)).toContain("jq");

    const list = JSON.parse((await aptLayer(["list", "tools/1", "--json"])).stdout);
    expect(list.kind).toBe("PackageList");
    expect(list.requested).toEqual(["jq"]);
    const diff = await aptLayer(["diff", BASE, "tools/1"]);
    expect(diff.stdout).toMatch(/^\+ jq:amd64 /m);
    const sbom = JSON.parse((await aptLayer(["sbom", "tools/1"])).stdout);
    expect(sbom.spdxVersion).toBe("SPDX-2.3");
    expect((await aptLayer(["--live-status", "--root", path.join(dir, "nothing")])).stdout).toMatch(
      /no live overlay/,
    );
    const audit = await aptLayer(["audit", "verify", "--json"]);
    expect(JSON.parse(audit.stdout)).toMatchObject({ kind: "AuditVerification", valid: true });
  });

  it("installs-a-local-deb-given-by-path-as-apt-does-and-lists-it-as-local", async () => {
    const tree = path.join(dir, "localdeb");
    await fs.mkdir(path.join(tree, "DEBIAN"), { recursive: true });
    await fs.writeFile(
      path.join(tree, "DEBIAN/control"),
      "Package: cli-local\nVersion: 2.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDepends: jq\nDescription: test\n test\n",
    );
    await execa("dpkg-deb", ["--root-owner-group", "--build", tree, path.join(dir, "cli-local.deb")]);
    const built = await aptLayer([BASE, "tools/local", "./cli-local.deb", "less", "--json"], {}, dir);
    expect(built.stderr).toBe("");
    expect(built.exitCode).toBe(0);
    expect(JSON.parse(built.stdout).installed.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["cli-local", "jq", "less"]),
    );
    const list = await aptLayer(["list", "tools/local"]);
    expect(list.stdout).toMatch(/^cli-local\s+all\s+2\.0\s+local \.deb sha256:[0-9a-f]{64}$/m);
    const missing = await aptLayer([BASE, "tools/nodeb", "./no-such.deb"], {}, dir);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(
      /^error: opening the local package \.\/no-such\.deb: no such file or directory$/m,
    );
  });

  it("installs-and-removes-on-an-image-moving-its-tag", async () => {
    expect((await aptLayer(["install", "--image", "tools/1", "--to", "tools/3", "file"])).exitCode).toBe(0);
    expect((await aptLayer(["remove", "--image", "tools/3", "jq"])).exitCode).toBe(0);
    const list = JSON.parse((await aptLayer(["list", "tools/3", "--json"])).stdout);
    expect(list.requested).toEqual(["file"]);
    expect(list.removed).toEqual(["jq"]);
    expect(list.packages.map((p: { name: string }) => p.name)).not.toContain("jq");
  });

  it("keeps-tenants-within-their-quota", async () => {
    expect((await aptLayer(["tenant", "add", "acme", "--quota", "1KiB", "--group", "root"])).exitCode).toBe(
      0,
    );
    const over = await aptLayer([BASE, "acme/tools:1", "less"]);
    expect(over.exitCode).toBe(7);
    expect(over.stderr).toMatch(/^error: tenant acme would use \d+ bytes, over its quota of 1024$/m);
    const tenants = JSON.parse((await aptLayer(["tenant", "list", "--json"])).stdout);
    expect(tenants.tenants).toEqual([{ name: "acme", quotaBytes: 1024, group: "root", usedBytes: 0 }]);
  });

  it("rejects-bad-input-with-an-error-a-hint-and-its-exit-code", async () => {
    const before = await images();
    const badName = await aptLayer([BASE, "tools/2", "Not_A_Package"]);
    expect(badName.exitCode).toBe(4);
    expect(badName.stderr).toMatch(/^error: "Not_A_Package" is not a valid package name$/m);
    expect(badName.stderr).toMatch(/^hint: /m);
    const missing = await aptLayer([BASE, "tools/2", "no-such-package-xyz"]);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/^error: package not available: no-such-package-xyz$/m);
    const exists = await aptLayer([BASE, "tools/1", "jq"]);
    expect(exists.exitCode).toBe(8);
    expect(exists.stderr).toMatch(/^hint: .*--replace/m);
    expect(await images()).toEqual(before);
  });

  for (const step of ["mounted", "resolved", "downloaded", "installed", "layer-created"]) {
    it(`leaves-no-image-and-no-mount-when-killed-at-${step}`, async () => {
      const before = await images();
      const killed = await aptLayer([BASE, `killed/${step}`, "less"], {
        PARTICLE_FAILPOINTS: `apt-layer.build/${step}=kill`,
      });
      expect(killed.signal).toBe("SIGKILL");
      expect(await images()).toEqual(before);
      // The next command recovers: unmounts and removes what the killed build left, and audits it.
      const recovered = await aptLayer(["recover"]);
      expect(recovered.exitCode).toBe(0);
      expect(await mountsBelow(dir)).toEqual([]);
      expect(await fs.readdir(path.join(dir, "state/apt-layer/builds"))).toEqual([]);
      expect(await fs.readdir(path.join(dir, "state/apt-layer/journal"))).toEqual([]);
      const log = JSON.parse((await aptLayer(["audit", "show", "--json"])).stdout);
      expect(log.entries.at(-1)).toMatchObject({ target: `killed:${step}`, result: "failure" });
    });
  }

  it("keeps-the-complete-image-when-killed-after-the-commit", async () => {
    const killed = await aptLayer([BASE, "killed/committed", "less"], {
      PARTICLE_FAILPOINTS: "apt-layer.build/committed=kill",
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(await images()).toContain("killed:committed");
    expect((await aptLayer(["recover"])).exitCode).toBe(0);
    expect(await mountsBelow(dir)).toEqual([]);
    const list = JSON.parse((await aptLayer(["list", "killed/committed", "--json"])).stdout);
    expect(list.requested).toEqual(["less"]);
  });

  it("exports-and-imports-an-image-through-oci-with-the-seed-flags", async () => {
    const archive = path.join(dir, "tools.oci.tar");
    const exported = await aptLayer(["--oci-export", "tools/1", `oci-archive:${archive}`]);
    expect(exported.stderr).toBe("");
    expect(exported.exitCode).toBe(0);
    const imported = await aptLayer(["--oci-import", `oci-archive:${archive}`, "imported:1"]);
    expect(imported.exitCode).toBe(0);
    const list = JSON.parse((await aptLayer(["list", "imported:1", "--json"])).stdout);
    expect(list.packages.map((p: { name: string }) => p.name)).toContain("jq");
  });

  it("bootstraps-a-trixie-base-with-mmdebstrap-by-default", async () => {
    const result = await aptLayer(["bootstrap", "bootstrapped/trixie", "--variant", "minbase", "--json"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: "Image",
      image: "bootstrapped:trixie",
      layers: 1,
    });
    const list = JSON.parse((await aptLayer(["list", "bootstrapped/trixie", "--json"])).stdout);
    expect(list.packages.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["apt", "dpkg", "bash"]),
    );
    const bad = await aptLayer(["bootstrap", "bootstrapped/x", "--variant", "huge"]);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/^error: .*variant/m);
    const unknown = await aptLayer(["bootstrap", "bootstrapped/x", "--suite", "buster"]);
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toMatch(
      /^error: apt-layer has no profile for the suite "buster"; it knows bookworm \(Debian 12 \(bookworm\)\), trixie \(Debian 13 \(trixie\)\), noble \(Ubuntu 24\.04 LTS \(noble\)\)$/m,
    );
  });

  it("validates-recipes-and-reports-bad-ones", async () => {
    const recipes = path.resolve(__dirname, "../../../recipes");
    expect((await aptLayer(["validate", path.join(recipes, "bazzite.yaml")])).exitCode).toBe(0);
    const bad = path.join(dir, "bad.yaml");
    await fs.writeFile(
      bad,
      "apiVersion: particle.dev/v1\nkind: Recipe\nmetadata: { name: Bad }\nbase: { image: x }\n",
    );
    const result = await aptLayer(["validate", bad]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/metadata\.name/);
  });
});
