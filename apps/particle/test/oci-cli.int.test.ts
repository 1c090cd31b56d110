import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { requireRoot, scratchDir, startRegistry, type TestRegistry } from "@particle/test-kit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = path.resolve(__dirname, "../dist/particle.mjs");

/** The OCI verbs of the built `particle` CLI against a scratch store and a real docker-registry. */
describe("particle export/import/push/pull/inspect/login/logout", () => {
  let root: string;
  let registry: TestRegistry;
  const password = "cli-Secret-42";

  const particle = (args: string[], input?: string, env: Record<string, string> = {}) =>
    execa("node", [BIN, "--config-root", path.join(root, "etc"), ...args], {
      reject: false,
      input,
      env: { PARTICLE_LOGGING_FILE: "", ...env },
    });

  beforeAll(async () => {
    requireRoot();
    root = await scratchDir("oci-cli", { scope: "manual" });
    await fs.mkdir(path.join(root, "etc"));
    await fs.writeFile(
      path.join(root, "etc", "config.toml"),
      [
        "[paths]",
        `store = "${root}/store"`,
        `run = "${root}/run"`,
        `cache = "${root}/cache"`,
        `log = "${root}/log"`,
        "[registry]",
        `auth_file = "${root}/auth/auth.json"`,
        "[layer]",
        'compression = "zstd"',
        "compression_level = 3",
        "",
      ].join("\n"),
    );
    const tree = path.join(root, "tree");
    await fs.mkdir(path.join(tree, "etc"), { recursive: true });
    await fs.writeFile(path.join(tree, "etc", "os-release"), "ID=particle\n");
    const store = await Store.open(path.join(root, "store"), {
      create: true,
      runDir: path.join(root, "run"),
    });
    const layer = await store.createLayer(tree, { compression: "zstd", level: 3 });
    await store.commitImage({ name: "tiny", tag: "1", layers: [layer], created: "2023-11-14T22:13:20Z" });
    await fs.mkdir(path.join(root, "registry"));
    registry = await startRegistry(path.join(root, "registry"), { user: "alice", password });
  });
  afterAll(async () => {
    await registry?.stop();
    const { destroyScratch } = await import("@particle/test-kit");
    if (root) await destroyScratch(root);
  });

  it("exports, inspects and imports through a layout with --json documents", async () => {
    const layout = path.join(root, "layout");
    const exported = await particle(["export", "tiny:1", `oci:${layout}:1`, "--json"]);
    expect(exported.stderr).toBe("");
    const doc = JSON.parse(exported.stdout);
    expect(doc).toMatchObject({
      apiVersion: "particle.dev/v1",
      kind: "ImageExport",
      destination: `oci:${layout}:1`,
    });
    const inspected = JSON.parse((await particle(["inspect", `oci:${layout}:1`, "--json"])).stdout);
    expect(inspected).toMatchObject({
      kind: "ImageInspection",
      manifestDigest: doc.manifestDigest,
      os: "linux",
    });
    expect(inspected.layers).toHaveLength(1);
    const imported = await particle(["import", `oci:${layout}:1`, "back:1"]);
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain("-> back:1");
  });

  it("logs in, pushes, pulls and logs out against a registry with basic auth", async () => {
    const denied = await particle(
      ["login", registry.host, "-u", "alice", "--password-stdin"],
      "wrong-password",
    );
    expect(denied.exitCode).toBe(10);
    expect(denied.stderr).toMatch(/^error: .*rejected the credentials/m);
    expect(denied.stderr).toMatch(/^hint: /m);
    expect(denied.stderr + denied.stdout).not.toContain("wrong-password");

    const login = await particle(["login", registry.host, "-u", "alice", "--password-stdin"], password);
    expect(login.exitCode).toBe(0);
    expect((await fs.stat(path.join(root, "auth", "auth.json"))).mode & 0o777).toBe(0o600);

    const pushed = await particle([
      "push",
      "tiny:1",
      `${registry.host}/team/tiny:1`,
      "--compression",
      "zstd",
      "--json",
    ]);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ kind: "ImagePush" });
    const tags = JSON.parse(
      (await particle(["inspect", `docker://${registry.host}/team/tiny:1`, "--tags", "--json"])).stdout,
    );
    expect(tags.tags).toEqual(["1"]);
    const pulled = JSON.parse((await particle(["pull", `${registry.host}/team/tiny:1`, "--json"])).stdout);
    expect(pulled).toMatchObject({ kind: "ImagePull", image: "tiny:1" });

    expect((await particle(["logout", registry.host])).exitCode).toBe(0);
    const again = await particle(["logout", registry.host]);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toMatch(/^error: no credentials for/m);
    const anonymous = await particle(["pull", `${registry.host}/team/tiny:1`]);
    expect(anonymous.exitCode).toBe(10);
    expect(anonymous.stderr).toMatch(/^hint: Log in first: particle login/m);
  });

  it("rejects bad input with an error, a hint and a stable exit code", async () => {
    const badRef = await particle(["export", "tiny:1", "tarball:/tmp/x"]);
    expect(badRef.exitCode).toBe(2);
    expect(badRef.stderr).toMatch(/^error: invalid image reference "tarball:\/tmp\/x": unknown transport/m);
    expect(badRef.stderr).toMatch(/^hint: Use oci:DIR/m);
    const missing = await particle(["import", `oci:${path.join(root, "nope")}:1`, "x:1", "--json"]);
    expect(missing.exitCode).toBe(4);
    expect(JSON.parse(missing.stdout)).toMatchObject({ kind: "Error", error: { code: "LAYOUT_INVALID" } });
    const chunks = await particle([
      "export",
      "tiny:1",
      `oci:${path.join(root, "c")}:1`,
      "--chunked",
      "--max-layers",
      "1",
    ]);
    expect(chunks.exitCode).toBe(2);
    expect(chunks.stderr).toMatch(/^hint: --max-layers must be at least 2/m);
  });

  it("a kill at any step leaves the layout, the store and the credentials as they were", async () => {
    const layout = path.join(root, "crash-layout");
    expect((await particle(["export", "tiny:1", `oci:${layout}:1`])).exitCode).toBe(0);
    const index = path.join(layout, "index.json");
    const before = await fs.readFile(index, "utf8");
    for (const point of ["oci.blob/before-rename", "oci.layout/before-index"]) {
      const killed = await particle(
        ["export", "tiny:1", `oci:${layout}:2`, "--compression", "zstd"],
        undefined,
        { PARTICLE_FAILPOINTS: `${point}=kill` },
      );
      expect(killed.signal).toBe("SIGKILL");
      expect(await fs.readFile(index, "utf8")).toBe(before);
      expect((await execa("skopeo", ["inspect", `oci:${layout}:1`], { reject: false })).exitCode).toBe(0);
    }
    for (const point of ["oci.import/layers-staged", "oci.import/layers-stored"]) {
      const killed = await particle(["import", `oci:${layout}:1`, "crash:1"], undefined, {
        PARTICLE_FAILPOINTS: `${point}=kill`,
      });
      expect(killed.signal).toBe("SIGKILL");
      const store = await Store.open(path.join(root, "store"), { runDir: path.join(root, "run") });
      expect((await store.list()).map((i) => i.name)).not.toContain("crash");
    }
    // Stale credentials in the file: a login killed before its rename must leave them as they are.
    const auth = path.join(root, "auth", "auth.json");
    const stale = { auth: Buffer.from("alice:old-password").toString("base64") };
    const credentials = `${JSON.stringify({ auths: { [registry.host]: stale, "other.example": stale } })}\n`;
    await fs.writeFile(auth, credentials, { mode: 0o600 });
    const killed = await particle(["login", registry.host, "-u", "alice", "--password-stdin"], password, {
      PARTICLE_FAILPOINTS: "atomic-write:before-rename=kill",
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(await fs.readFile(auth, "utf8")).toBe(credentials);
  });
});
