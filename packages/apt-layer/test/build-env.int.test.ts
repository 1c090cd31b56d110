import { promises as fs } from "node:fs";
import path from "node:path";
import { mountsBelow } from "@particle/runtime";
import { debianRootfs, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { applyWithApt, aptUpdate, download, resolvePlan } from "../src/build/apt.js";
import { cleanUpper } from "../src/build/hygiene.js";
import { BuildEnvironment } from "../src/build-env/environment.js";
import { SHARED_CACHE } from "./fixture.js";
import { hostState } from "./host-state.js";

const aptCache = path.join(SHARED_CACHE, "apt");
let base: string;

beforeAll(async () => {
  requireRoot();
  base = await debianRootfs();
});

describe("build environment", () => {
  it("installs-into-the-upper-isolated-and-leaves-the-host-unchanged", async () => {
    const dir = await scratchDir("build-env");
    const before = await hostState();
    const env = await BuildEnvironment.open({ lower: [base], dir, aptCache });
    try {
      // Own PID namespace: the command sees only the sandbox's init (bwrap, PID 1) and itself.
      expect((await env.run(["ls", "/proc"])).stdout.split("\n").filter((n) => /^\d+$/.test(n))).toEqual([
        "1",
        "2",
      ]);
      // No network by default: only the loopback interface exists.
      const offline = (await env.run(["cat", "/proc/net/dev"])).stdout;
      expect(offline).toContain("lo:");
      expect(offline.split("\n").filter((l) => l.includes(":")).length).toBe(1);
      // Daemons are blocked: invoke-rc.d asks policy-rc.d, which answers 101 (action forbidden).
      await expect(env.run(["/usr/sbin/policy-rc.d", "cron", "start"])).rejects.toMatchObject({
        context: { exitCode: 101 },
      });
      expect((await env.run(["ls", "/dev"])).stdout.split("\n").sort()).toEqual(
        [
          "core",
          "fd",
          "full",
          "null",
          "ptmx",
          "pts",
          "random",
          "shm",
          "stderr",
          "stdin",
          "stdout",
          "tty",
          "urandom",
          "zero",
        ].sort(),
      );
      await expect(env.run(["touch", "/sys/apt-layer-probe"])).rejects.toThrow();
      await aptUpdate(env);
      const plan = await resolvePlan(env, ["jq"]);
      expect(plan.filter((a) => a.action === "install").map((a) => a.name)).toContain("jq");
      await download(env, ["jq"]);
      await applyWithApt(env, ["jq"], []);
      expect((await env.run(["jq", "--version"])).stdout).toMatch(/^jq-1\./);
    } finally {
      await env.close();
    }
    expect(await mountsBelow(dir)).toEqual([]);
    await fs.access(path.join(dir, "upper/usr/bin/jq"));
    await expect(fs.access(path.join(dir, "upper/usr/sbin/policy-rc.d"))).rejects.toThrow();
    await fs.access(path.join(dir, "upper/var/log/apt/history.log"));
    await cleanUpper(path.join(dir, "upper"));
    await expect(fs.access(path.join(dir, "upper/var/log/apt/history.log"))).rejects.toThrow();
    expect(await fs.readdir(path.join(dir, "upper/var/lib/apt/lists")).catch(() => [])).toEqual([]);
    expect(await hostState()).toEqual(before);
  });

  it("names-a-missing-package-before-downloading-anything", async () => {
    const dir = await scratchDir("build-env-missing");
    const env = await BuildEnvironment.open({ lower: [base], dir, aptCache });
    try {
      await aptUpdate(env);
      await expect(resolvePlan(env, ["jq", "no-such-package-xyz"])).rejects.toMatchObject({
        code: "PACKAGE_NOT_FOUND",
        message: expect.stringContaining("no-such-package-xyz"),
      });
    } finally {
      await env.close();
    }
    expect(await mountsBelow(dir)).toEqual([]);
  });

  it("refuses-an-image-whose-links-would-send-a-mount-or-a-write-out-of-it", async () => {
    const dir = await scratchDir("build-env-links");
    // Stands in for a host directory that an image's absolute link points at.
    const outside = path.join(dir, "outside");
    await fs.mkdir(path.join(outside, "sbin"), { recursive: true });
    const lowerWith = async (name: string, link: string) => {
      const lower = path.join(dir, name);
      for (const d of ["dev", "sys", "tmp", "run", "etc", "usr/sbin"])
        if (d.split("/")[0] !== link) await fs.mkdir(path.join(lower, d), { recursive: true });
      await fs.symlink(outside, path.join(lower, link));
      return lower;
    };
    for (const link of ["dev", "usr"]) {
      const lower = await lowerWith(`lower-${link}`, link);
      await expect(
        BuildEnvironment.open({ lower: [lower], dir: path.join(dir, `env-${link}`), aptCache }),
      ).rejects.toMatchObject({ code: "IMAGE_PATH_UNSAFE", context: { path: `/${link}` } });
      expect(await mountsBelow(outside)).toEqual([]);
      expect(await mountsBelow(path.join(dir, `env-${link}`))).toEqual([]);
    }
    expect(await fs.readdir(path.join(outside, "sbin"))).toEqual([]);
  });
});
