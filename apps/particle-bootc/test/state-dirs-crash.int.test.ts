import { promises as fs } from "node:fs";
import path from "node:path";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { baseTree, world } from "./support/cli.js";

beforeAll(() => requireRoot());

describe("seeding state directories killed half-way", () => {
  it("state-dirs-seed-kill: a deploy killed between copying /home and renaming it leaves no copy; the next deploy seeds all", async () => {
    const dir = await scratchDir("bootc-state-dirs-kill");
    const w = await world(dir);
    await w.publish(
      { ...baseTree("1"), "root/.profile": "from the image\n", "home/user/.bashrc": "hi\n" },
      "1",
    );
    expect((await w.install()).exitCode).toBe(0);
    // A new stateroot starts a new /var: its first deploy seeds the state directories.
    const deploy = ["deploy", w.reference, "--stateroot", "other", "--sysroot", w.sysroot];
    const killed = await w.bootc(deploy, { PARTICLE_FAILPOINTS: "bootc.state-dirs/copied=kill" });
    expect(killed.signal).toBe("SIGKILL");
    const varDir = path.join(w.sysroot, "particle/deploy/other/var");
    expect((await fs.readdir(varDir)).filter((n) => n === "home" || n === "roothome")).toEqual([]);

    const again = await w.bootc(deploy);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await fs.readdir(varDir)).filter((n) => n.startsWith(".particle-seed-"))).toEqual([]);
    expect(await fs.readFile(path.join(varDir, "home/user/.bashrc"), "utf8")).toBe("hi\n");
    expect(await fs.readFile(path.join(varDir, "roothome/.profile"), "utf8")).toBe("from the image\n");
    // Exactly one deployment in the new stateroot: the killed stage left nothing that looks complete.
    const names = await fs.readdir(path.join(w.sysroot, "particle/deploy/other"));
    expect(names.filter((n) => n !== "var" && !n.endsWith(".json"))).toHaveLength(1);
  });
});
