import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, layerFromEnv, loadSettings, parseConfigText, parseSize } from "../src/index.js";

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "config-"));
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe("loadSettings", () => {
  it("gives the defaults when there is no file", async () => {
    const { settings, sources } = await loadSettings({ configRoot: root, env: {} });
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(sources.map((s) => s.kind)).toEqual(["default"]);
  });

  it("layers config.toml, sorted drop-ins, environment and overrides in that order", async () => {
    await fs.writeFile(
      path.join(root, "config.toml"),
      '[layer]\nformat = "erofs"\ncompression_level = 5\n[paths]\nstore = "/a"\n',
    );
    await fs.mkdir(path.join(root, "config.d"));
    await fs.writeFile(path.join(root, "config.d", "20-b.toml"), "[layer]\ncompression_level = 9\n");
    await fs.writeFile(
      path.join(root, "config.d", "10-a.toml"),
      '[layer]\ncompression_level = 7\ncompression = "lz4"\n',
    );
    await fs.writeFile(path.join(root, "config.d", "ignored.conf"), "not toml at all");
    const { settings, sources } = await loadSettings({
      configRoot: root,
      env: { PARTICLE_PATHS_STORE: "/from-env", PARTICLE_REGISTRY_INSECURE: "a:5000, b" },
      overrides: { "layer.format": "squashfs" },
    });
    expect(settings.layer).toEqual({ format: "squashfs", compression: "lz4", compression_level: 9 });
    expect(settings.paths.store).toBe("/from-env");
    expect(settings.registry.insecure).toEqual(["a:5000", "b"]);
    expect(sources.map((s) => path.basename(s.name))).toEqual([
      "built-in defaults",
      "config.toml",
      "10-a.toml",
      "20-b.toml",
      "PARTICLE_PATHS_STORE",
      "PARTICLE_REGISTRY_INSECURE",
      "layer.format",
    ]);
  });

  it("never prints a line of a file that config.toml points to through a symlink", async () => {
    const secret = path.join(root, "secret");
    await fs.writeFile(secret, "root:$6$very-secret-hash:19000:0:99999:7:::\n");
    await fs.symlink(secret, path.join(root, "config.toml"));
    const error = await loadSettings({ configRoot: root, env: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CONFIG_SYNTAX" });
    const chain: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e.message, String(e.stack));
    expect(chain.join("\n")).not.toContain("very-secret-hash");
    expect((error as Error).message).toMatch(/line 1, column \d+/);
  });

  it.each(["../../etc/shadow", "/etc/shadow", "sub/file.log", ".."])(
    "refuses logging.file %s outside paths.log",
    async (file) => {
      await fs.writeFile(path.join(root, "config.toml"), `[logging]\nfile = "${file}"\n`);
      await expect(loadSettings({ configRoot: root, env: {} })).rejects.toMatchObject({
        code: "CONFIG_INVALID",
      });
    },
  );

  it("names the file, the key and what is allowed for a bad value", async () => {
    await fs.mkdir(path.join(root, "config.d"));
    const file = path.join(root, "config.d", "50-bad.toml");
    await fs.writeFile(file, '[layer]\nformat = "ext4"\n');
    const error = await loadSettings({ configRoot: root, env: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CONFIG_INVALID", exitCode: 4 });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/layer\.format: .*"squashfs".*"erofs"/);
  });

  it("rejects unknown keys and sections, naming them", () => {
    expect(() => parseConfigText('[layer]\nfromat = "erofs"\n', "f.toml")).toThrow(
      /f\.toml: layer: .*fromat/,
    );
    expect(() => parseConfigText("[nope]\na = 1\n", "f.toml")).toThrow(/nope/);
  });

  it("reports TOML syntax errors with the position", () => {
    expect(() => parseConfigText("[layer\nformat=", "f.toml")).toThrow(/f\.toml: not valid TOML \(line 1/);
  });

  it("names the environment variable that holds a bad value", () => {
    expect(() => layerFromEnv({ PARTICLE_LAYER_COMPRESSION_LEVEL: "99" })).toThrow(
      /environment variable PARTICLE_LAYER_COMPRESSION_LEVEL: layer\.compression_level/,
    );
  });

  it("rejects relative paths", () => {
    expect(() => parseConfigText('[paths]\nstore = "var/store"\n', "f")).toThrow(/absolute path/);
  });

  it("rejects an unknown --set key with the list of known keys", async () => {
    await expect(
      loadSettings({ configRoot: root, env: {}, overrides: { "layer.fromat": "x" } }),
    ).rejects.toMatchObject({
      code: "CONFIG_UNKNOWN_KEY",
      hint: expect.stringContaining("layer.format"),
    });
  });
});

describe("parseSize", () => {
  it.each([
    ["512", 512],
    ["10MiB", 10 * 1024 * 1024],
    ["1.5K", 1536],
    ["2G", 2 * 1024 ** 3],
    [100, 100],
  ] as const)("%s is %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  it("rejects nonsense", () => expect(() => parseSize("lots")).toThrow(/not a size/));
});
