import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ifExists, mkdirDurable, readFileIfExists, writeFileAtomic } from "../src/index.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "atomic-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("replaces content and sets the mode exactly", async () => {
    const file = path.join(dir, "f");
    await fs.writeFile(file, "old");
    await writeFileAtomic(file, "new", { mode: 0o600 });
    expect(await fs.readFile(file, "utf8")).toBe("new");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(["f"]);
  });

  it("leaves the old content when killed before the rename", async () => {
    const file = path.join(dir, "f");
    await fs.writeFile(file, "old");
    const script = `import { writeFileAtomic } from ${JSON.stringify(path.resolve(__dirname, "../src/atomic.ts"))};
await writeFileAtomic(${JSON.stringify(file)}, "new");`;
    const child = await execa("node", ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { PARTICLE_FAILPOINTS: "atomic-write:before-rename=kill" },
      reject: false,
    });
    expect(child.signal).toBe("SIGKILL");
    expect(await fs.readFile(file, "utf8")).toBe("old");
  });

  it("reports a missing directory as NOT_FOUND", async () => {
    await expect(writeFileAtomic(path.join(dir, "no/such/f"), "x")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("mkdirDurable and readFileIfExists", () => {
  it("creates nested directories and reads absent files as undefined", async () => {
    await mkdirDurable(path.join(dir, "a/b/c"));
    expect((await fs.stat(path.join(dir, "a/b/c"))).isDirectory()).toBe(true);
    expect(await readFileIfExists(path.join(dir, "a/none"))).toBeUndefined();
  });
});

describe("ifExists", () => {
  it("answers undefined for a missing path or a file in the way, and passes other failures on", async () => {
    await fs.writeFile(path.join(dir, "file"), "x");
    expect(await ifExists(fs.readdir(dir))).toEqual(["file"]);
    expect(await ifExists(fs.readdir(path.join(dir, "missing")))).toBeUndefined();
    expect(await ifExists(fs.readdir(path.join(dir, "file")))).toBeUndefined();
    expect(await ifExists(fs.stat(path.join(dir, "file", "below")))).toBeUndefined();
    const io = Object.assign(new Error("input/output error"), { code: "EIO" });
    await expect(ifExists(Promise.reject(io))).rejects.toBe(io);
  });
});
