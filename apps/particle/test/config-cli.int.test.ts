import { promises as fs } from "node:fs";
import path from "node:path";
import { scratchDir } from "@particle/test-kit";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(__dirname, "../dist/particle.mjs");

function particle(root: string, args: string[], env: Record<string, string> = {}) {
  return execa("node", [BIN, "--config-root", root, ...args], {
    reject: false,
    env: { PARTICLE_LOGGING_FILE: "", ...env },
  });
}

const ORIGINAL = `# site settings
[layer]
format = "squashfs" # fast to mount

[paths]
store = "/srv/particle/store"
`;

describe("particle config", () => {
  it("sets, gets and unsets a value, keeping comments and order", async () => {
    const root = await scratchDir("config-cli");
    const file = path.join(root, "config.toml");
    await fs.writeFile(file, ORIGINAL, { mode: 0o640 });
    expect((await particle(root, ["config", "set", "layer.compression_level", "7"])).exitCode).toBe(0);
    expect((await particle(root, ["config", "set", "layer.format", "erofs"])).exitCode).toBe(0);
    expect(await fs.readFile(file, "utf8")).toBe(
      ORIGINAL.replace(
        'format = "squashfs" # fast to mount',
        'format = "erofs" # fast to mount\ncompression_level = 7',
      ),
    );
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect((await particle(root, ["config", "get", "layer.compression_level"])).stdout).toBe("7");
    const json = JSON.parse((await particle(root, ["config", "get", "layer.format", "--json"])).stdout);
    expect(json).toEqual({
      apiVersion: "particle.dev/v1",
      kind: "Setting",
      key: "layer.format",
      value: "erofs",
    });
    expect((await particle(root, ["config", "unset", "layer.compression_level"])).exitCode).toBe(0);
    expect((await particle(root, ["config", "get", "layer.compression_level"])).stdout).toBe("3");
  });

  it("refuses an invalid value, says what is allowed, and leaves the file untouched", async () => {
    const root = await scratchDir("config-cli-bad");
    const file = path.join(root, "config.toml");
    await fs.writeFile(file, ORIGINAL);
    const before = await fs.stat(file);
    const result = await particle(root, ["config", "set", "layer.compression_level", "99"]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(
      /^error: layer\.compression_level = "99": layer\.compression_level: .*<=22/m,
    );
    expect(result.stderr).toMatch(/^hint: /m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await fs.readFile(file, "utf8")).toBe(ORIGINAL);
    expect((await fs.stat(file)).ino).toBe(before.ino);
    const unknown = await particle(root, ["config", "set", "layer.fromat", "erofs"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown setting "layer.fromat"');
  });

  it("leaves the old file whole when killed before the rename", async () => {
    const root = await scratchDir("config-cli-kill");
    const file = path.join(root, "config.toml");
    await fs.writeFile(file, ORIGINAL);
    const result = await particle(root, ["config", "set", "layer.format", "erofs"], {
      PARTICLE_FAILPOINTS: "atomic-write:before-rename=kill",
    });
    expect(result.signal).toBe("SIGKILL");
    expect(await fs.readFile(file, "utf8")).toBe(ORIGINAL);
    // The next run works; the stray temp file from the killed run is hidden and harmless.
    expect((await particle(root, ["config", "set", "layer.format", "erofs"])).exitCode).toBe(0);
    expect(await fs.readFile(file, "utf8")).toContain('format = "erofs"');
  });

  it("validates files and names the bad one", async () => {
    const root = await scratchDir("config-cli-validate");
    await fs.writeFile(path.join(root, "config.toml"), ORIGINAL);
    await fs.mkdir(path.join(root, "config.d"));
    await fs.writeFile(path.join(root, "config.d", "10-bad.toml"), '[logging]\nlevel = "loud"\n');
    const result = await particle(root, ["config", "validate"]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`${path.join(root, "config.d", "10-bad.toml")}: logging.level`);
    const single = await particle(root, ["config", "validate", path.join(root, "config.toml"), "--json"]);
    expect(JSON.parse(single.stdout)).toMatchObject({ kind: "ConfigValidation", valid: true });
  });

  it("shows the effective settings with their sources", async () => {
    const root = await scratchDir("config-cli-show");
    await fs.writeFile(path.join(root, "config.toml"), ORIGINAL);
    const result = await particle(root, ["config", "show", "--json"], { PARTICLE_LOGGING_LEVEL: "warn" });
    const doc = JSON.parse(result.stdout);
    expect(doc.settings.paths.store).toBe("/srv/particle/store");
    expect(doc.settings.logging.level).toBe("warn");
    expect(doc.sources.map((s: { name: string }) => s.name)).toEqual([
      "built-in defaults",
      path.join(root, "config.toml"),
      "PARTICLE_LOGGING_LEVEL",
      "PARTICLE_LOGGING_FILE",
    ]);
  });
});
