import { promises as fs } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { runCli } from "@particle/cli-kit";
import { mountsBelow } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { composefsCli } from "../src/cli.js";

beforeAll(() => requireRoot());

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

/** Runs the CLI in-process with settings pointing into `dir`. */
async function cli(dir: string, args: string[]): Promise<Run> {
  const out = collector();
  const err = collector();
  const code = await runCli(composefsCli, args, {
    stdout: out.stream,
    stderr: err.stream as unknown as NodeJS.WriteStream,
    env: {
      PARTICLE_LOGGING_FILE: "",
      PARTICLE_PATHS_STORE: path.join(dir, "store"),
      PARTICLE_PATHS_RUN: path.join(dir, "run"),
      PARTICLE_LOGGING_STDERR: "none",
    },
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

async function json<T = Record<string, unknown>>(dir: string, args: string[]): Promise<T> {
  const result = await cli(dir, [...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe("particle-composefs", () => {
  it("create-mount-verify-rollback-gc-backup-restore-through-the-cli", async () => {
    const dir = await scratchDir("cfs-cli");
    const tree = path.join(dir, "tree");
    await fs.mkdir(path.join(tree, "etc"), { recursive: true });
    await fs.writeFile(path.join(tree, "etc/version"), "1\n");
    const first = await json<{ kind: string; image: { ref: string; manifestDigest: string } }>(dir, [
      "create",
      "os:stable",
      tree,
      "--label",
      "role=base",
    ]);
    expect(first).toMatchObject({
      apiVersion: "particle.dev/v1",
      kind: "Image",
      image: { ref: "os:stable" },
    });
    await fs.writeFile(path.join(tree, "etc/version"), "2\n");
    const second = await json<{ image: { manifestDigest: string; layers: number } }>(dir, [
      "create",
      "os:stable",
      tree,
      "--format",
      "erofs",
      "--base",
      "os:stable",
    ]);
    expect(second.image.layers).toBe(2);

    const list = await json<{ images: { ref: string }[] }>(dir, ["list"]);
    expect(list.images.map((i) => i.ref)).toEqual(["os:stable"]);
    const info = await json<{ layers: { mediaType: string; digest: string }[]; parent: string }>(dir, [
      "info",
      "os:stable",
    ]);
    expect(info.layers.map((l) => l.mediaType.split(".").pop())).toEqual(["squashfs", "erofs"]);
    expect(info.parent).toContain(first.image.manifestDigest);

    const target = path.join(dir, "mnt");
    await fs.mkdir(target);
    expect((await cli(dir, ["mount", "os:stable", target, "--writable", "tmpfs"])).code).toBe(0);
    expect(await fs.readFile(path.join(target, "etc/version"), "utf8")).toBe("2\n");
    const mounts = await json<{ mounts: { target: string }[] }>(dir, ["list", "--mounts"]);
    expect(mounts.mounts.map((m) => m.target)).toEqual([target]);
    expect((await cli(dir, ["unmount", target])).code).toBe(0);
    expect(await mountsBelow(dir)).toEqual([]);

    const verify = await json<{ ok: boolean }>(dir, ["verify"]);
    expect(verify.ok).toBe(true);
    // A corrupt layer: verify exits 6 and names the image; mount refuses it.
    const layerFile = path.join(dir, "store/blobs/sha256", info.layers[0]?.digest.slice(7) ?? "");
    const original = await fs.readFile(layerFile);
    await fs.chmod(layerFile, 0o644);
    await fs.writeFile(
      layerFile,
      Buffer.concat([original.subarray(0, 100), Buffer.from("corrupt"), original.subarray(107)]),
    );
    const bad = await cli(dir, ["verify", "--json"]);
    expect(bad.code).toBe(6);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      kind: "VerifyReport",
      ok: false,
      affected: [{ ref: "os:stable" }, { ref: "os:stable (history)" }],
    });
    const refused = await cli(dir, ["mount", "os:stable", target]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^error: image os:stable has 1 missing or corrupt layer/m);
    await fs.writeFile(layerFile, original);
    expect((await cli(dir, ["verify"])).code).toBe(0);
    const history = await json<{ previous: { manifestDigest: string }[] }>(dir, ["history", "os:stable"]);
    expect(history.previous.map((p) => p.manifestDigest)).toEqual([first.image.manifestDigest]);
    const rollback = await json<{ to: string }>(dir, ["rollback", "os:stable"]);
    expect(rollback.to).toBe(first.image.manifestDigest);

    const archive = path.join(dir, "os.tar");
    expect((await json<{ blobs: number }>(dir, ["backup", archive, "os:stable"])).blobs).toBeGreaterThan(0);
    const other = path.join(dir, "other-store");
    const restored = await json<{ refs: string[] }>(dir, ["restore", archive, "--store", other]);
    expect(restored.refs).toEqual(["os:stable"]);
    const otherList = await json<{ images: { manifestDigest: string }[] }>(dir, ["list", "--store", other]);
    expect(otherList.images.map((i) => i.manifestDigest)).toEqual([first.image.manifestDigest]);

    expect((await json<{ ref: string }>(dir, ["remove", "os:stable"])).ref).toBe("os:stable");
    const gc = await json<{ bytesFreed: number; removed: unknown[] }>(dir, ["gc", "--min-age", "0"]);
    expect(gc.bytesFreed).toBeGreaterThan(0);
    const cleanup = await json<{ cleaned: unknown[] }>(dir, ["cleanup"]);
    expect(cleanup.cleaned).toEqual([]);
  });

  it("bad-input-exits-non-zero-with-error-and-hint-lines", async () => {
    const dir = await scratchDir("cfs-cli-bad");
    const missingStore = await cli(dir, ["list"]);
    expect(missingStore.code).toBe(3);
    expect(missingStore.stderr).toMatch(/^error: .* is not an image store/m);
    expect(missingStore.stderr).toMatch(/^hint: /m);

    const badRef = await cli(dir, ["create", "Not Valid", dir]);
    expect(badRef.code).toBe(4);
    expect(badRef.stderr).toMatch(/^error: "Not Valid" is not a valid image reference/m);
    expect(badRef.stderr).toMatch(/^hint: Use NAME, NAME:TAG/m);

    const notDir = await cli(dir, ["create", "x", path.join(dir, "nope")]);
    expect(notDir.code).toBe(4);
    expect(notDir.stderr).toMatch(/^error: .*nope is not a directory/m);

    const badLabel = await cli(dir, ["create", "x", dir, "--label", "novalue"]);
    expect(badLabel.code).toBe(2);
    expect(badLabel.stderr).toMatch(/^error: --label novalue: expected KEY=VALUE$/m);

    const usage = await cli(dir, ["mount", "x"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^hint: Run 'particle-composefs mount --help'/m);

    const badJson = await cli(dir, ["info", "missing", "--json", "--store", path.join(dir, "store")]);
    expect(badJson.code).toBe(3);
    expect(JSON.parse(badJson.stdout)).toMatchObject({ kind: "Error", error: { code: "STORE_NOT_FOUND" } });
    await expect(fs.access(path.join(dir, "store"))).rejects.toThrow();
  });
});
