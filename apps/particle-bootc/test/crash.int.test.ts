import { promises as fs } from "node:fs";
import path from "node:path";
import { BootEntrySet, deploymentOfTag } from "@particle/bootc";
import { Store } from "@particle/composefs";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { baseTree, world } from "./support/cli.js";

beforeAll(() => requireRoot());

/** Every step of staging and finalizing an upgrade, and the atomic write under them. */
const FAILPOINTS: [string, "A" | "B"][] = [
  ["bootc.stage/begin", "A"],
  ["bootc.stage/image-checked", "A"],
  ["bootc.stage/kernel-installed", "A"],
  ["bootc.stage/prepared", "A"],
  ["bootc.stage/image-referenced", "A"],
  ["bootc.stage/deployed", "A"],
  ["bootc.stage/commit", "A"],
  ["bootc.finalize/begin", "A"],
  ["bootc.finalize/etc-written", "A"],
  ["bootc.finalize/etc-merged", "A"],
  ["bootc.entries/written", "A"],
  ["bootc.entries/switched", "B"],
  ["bootc.finalize/entries-switched", "B"],
  ["bootc.finalize/commit", "B"],
  ["atomic-write:before-rename", "A"],
];

/** What the bootloader would boot is complete: kernel, initrd, layers, /etc upper of every entry. */
async function expectBootable(sysroot: string): Promise<BootEntrySet> {
  const set = BootEntrySet.parse(
    JSON.parse(await fs.readFile(path.join(sysroot, "particle/boot/entries/state.json"), "utf8")),
  );
  const grub = await fs.readFile(path.join(sysroot, "grub/grub.cfg"), "utf8");
  for (const entry of set.entries) {
    expect(grub).toContain(`particle.deployment=${entry.deployment}`);
    await fs.access(path.join(sysroot, entry.kernel));
    await fs.access(path.join(sysroot, entry.initrd));
    const dir = path.join(sysroot, "particle/deploy", entry.deployment);
    await fs.access(path.join(dir, "etc/upper"));
    for (const line of (await fs.readFile(path.join(dir, "layers"), "utf8")).trim().split("\n")) {
      await fs.access(path.join(sysroot, line.split(" ")[1] as string));
    }
  }
  return set;
}

/** The deployments the store keeps tagged for gc, as `<stateroot>/<id>`. */
async function deployTags(sysroot: string): Promise<string[]> {
  const store = await Store.open(path.join(sysroot, "particle/store"));
  return (await store.list())
    .map((i) => deploymentOfTag(i.name, i.tag))
    .filter((d): d is string => d !== undefined)
    .sort();
}

async function deploymentsOf(sysroot: string): Promise<string[]> {
  const root = path.join(sysroot, "particle/deploy/default");
  const names = await fs.readdir(root);
  return names
    .filter((n) => n !== "var" && !n.startsWith(".") && !n.endsWith(".json"))
    .map((n) => `default/${n}`)
    .sort();
}

describe("upgrade killed at any step", () => {
  it.each(FAILPOINTS)(
    "kill at %s: the next boot is %s, never a mix, and the next upgrade completes",
    async (failpoint, expected) => {
      const dir = await scratchDir("bootc-crash");
      const w = await world(dir);
      await w.publish(baseTree("1"), "1");
      const sr = ["--sysroot", w.sysroot];
      expect((await w.install()).exitCode).toBe(0);
      const a = (await expectBootable(w.sysroot)).entries[0]?.deployment;
      await fs.writeFile(
        path.join(w.sysroot, "particle/deploy", a as string, "etc/upper/local.conf"),
        "mine\n",
      );
      await w.publish({ ...baseTree("2"), "boot/vmlinuz-6.1.0-test": "kernel-2" }, "2");

      const killed = await w.bootc(["upgrade", ...sr], { PARTICLE_FAILPOINTS: `${failpoint}=kill` });
      expect(killed.signal).toBe("SIGKILL");
      const set = await expectBootable(w.sysroot);
      const isA = set.entries[0]?.deployment === a;
      expect(isA ? "A" : "B").toBe(expected);

      // The next command recovers (journal, temp directories) and the upgrade can be completed.
      expect((await w.bootc(["cleanup", ...sr])).exitCode).toBe(0);
      expect(await fs.readdir(path.join(w.sysroot, "particle/journal")).catch(() => [])).toEqual([]);
      expect(
        (await fs.readdir(path.join(w.sysroot, "particle/deploy/default"))).filter((n) => n.startsWith(".")),
      ).toEqual([]);
      expect(await deployTags(w.sysroot)).toEqual(await deploymentsOf(w.sysroot));
      const again = await w.bootc(["upgrade", ...sr]);
      expect(again.exitCode, again.stderr).toBe(isA ? 0 : 77);
      const final = await expectBootable(w.sysroot);
      expect(final.entries[0]?.deployment).not.toBe(a);
      const b = final.entries[0]?.deployment as string;
      expect(
        await fs.readFile(path.join(w.sysroot, "particle/deploy", b, "etc/upper/local.conf"), "utf8"),
      ).toBe("mine\n");
    },
  );
});
