import { promises as fs } from "node:fs";
import path from "node:path";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { baseTree, world } from "./support/cli.js";

beforeAll(() => requireRoot());

const entriesOn = async (esp: string) => (await fs.readdir(path.join(esp, "loader/entries"))).sort();

describe("particle-bootc with systemd-boot", () => {
  it("install to-filesystem --esp, upgrade and rollback --esp keep BLS entries and kernels on the ESP", async () => {
    const dir = await scratchDir("bootc-cli-sdboot");
    const w = await world(dir);
    const esp = path.join(dir, "esp");
    await fs.mkdir(esp);
    await w.publish(baseTree("1"), "1");
    const install = await w.install(["--esp", esp, "--json"]);
    expect(install.exitCode, install.stderr).toBe(0);
    const a = JSON.parse(install.stdout).deployment as string;
    await expect(fs.lstat(path.join(w.sysroot, "grub"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await entriesOn(esp)).toEqual([`particle-1-${a.replace("/", "-")}.conf`]);

    const sr = ["--sysroot", w.sysroot, "--esp", esp];
    await w.publish({ ...baseTree("2"), "boot/vmlinuz-6.1.0-test": "kernel-2" }, "2");
    const up = await w.bootc(["upgrade", ...sr]);
    expect(up.exitCode, up.stderr).toBe(0);
    const entries = await entriesOn(esp);
    expect(entries).toHaveLength(2);
    expect(entries.filter((n) => n.endsWith("+3.conf"))).toHaveLength(1);
    expect(await fs.readdir(path.join(esp, "particle/boot/kernels"))).toHaveLength(2);

    const rb = await w.bootc(["rollback", ...sr, "--json"]);
    expect(JSON.parse(rb.stdout)).toMatchObject({ kind: "Rollback", deployment: a });
    const text = await fs.readFile(
      path.join(esp, "loader/entries", `particle-3-${a.replace("/", "-")}.conf`),
      "utf8",
    );
    expect(text).toContain("sort-key particle-0");
  });

  it("install to-filesystem --esp with a path that is not a directory exits 4 with error and hint, and leaves the target empty", async () => {
    const dir = await scratchDir("bootc-cli-sdboot-bad");
    const w = await world(dir);
    await w.publish(baseTree("1"), "1");
    const missing = path.join(dir, "no-esp");
    const result = await w.install(["--esp", missing]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/^error: .*no-esp is not a directory/m);
    expect(result.stderr).toMatch(/^hint: Mount the ESP/m);
    expect(await fs.readdir(w.sysroot)).toEqual([]);
    await expect(fs.lstat(missing)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
