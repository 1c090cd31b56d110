import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { BootEntrySet, initSysroot, openSysroot, readSysrootBootloader, switchImage } from "../src/index.js";
import { baseTree, makeImage } from "./support/images.js";
import { deploymentOf, nextBoot, readEspEntries, runOp, tryBoot } from "./support/systemd-boot-world.js";

beforeAll(() => requireRoot());

/**
 * A sysroot installed for systemd-boot with a plain directory as its ESP: A installed, B (another
 * kernel) published in the sysroot's store. What "boots" is what systemd-boot would pick from the ESP.
 */
async function world(name: string) {
  const dir = await scratchDir(name);
  const runDir = path.join(dir, "run");
  const esp = path.join(dir, "esp");
  await fs.mkdir(esp);
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir: runDir, esp });
  const store = await Store.open(sysroot.layout.store, { runDir });
  await makeImage(store, dir, "os:a", baseTree("1"), "1");
  const a = (await switchImage(sysroot, { reference: "os:a", kargs: ["root=UUID=x", "ro"], finalize: true }))
    .deployment;
  await makeImage(store, dir, "os:b", baseTree("2", "kernel-2"), "2");
  const request = { sysroot: sysroot.root, esp, runDir };
  return {
    dir,
    esp,
    runDir,
    sysroot,
    a,
    op: (op: "switch" | "rollback" | "boot-complete" | "cleanup", failpoints = "", reference = "os:b") =>
      runOp({ ...request, op, reference }, failpoints),
    /** Marks the machine as booted into `deployment` (what the boot script writes). */
    bootedInto: (deployment: string) => fs.writeFile(path.join(runDir, "booted"), `${deployment}\n`),
    entrySet: async () =>
      BootEntrySet.parse(
        JSON.parse(await fs.readFile(path.join(sysroot.root, "particle/boot/entries/state.json"), "utf8")),
      ),
  };
}

type World = Awaited<ReturnType<typeof world>>;

/**
 * systemd-boot's next boot is a complete deployment (its directory), and no entry on the ESP, the
 * fallbacks included, names a kernel or initrd that is not there.
 */
async function expectBootable(w: World): Promise<string> {
  for (const e of await readEspEntries(w.esp)) {
    await fs.access(path.join(w.esp, e.linux as string));
    await fs.access(path.join(w.esp, e.initrd as string));
  }
  const deployment = deploymentOf(await nextBoot(w.esp)) as string;
  await fs.access(path.join(w.sysroot.root, "particle/deploy", deployment, "origin.json"));
  return deployment;
}

/** After recovery the ESP holds exactly the current set: its entries, its kernels, its default first. */
async function expectEspMatchesSet(w: World): Promise<BootEntrySet> {
  const set = await w.entrySet();
  const files = (await readEspEntries(w.esp)).map((e) => deploymentOf(e)).sort();
  expect(files).toEqual(set.entries.map((e) => e.deployment).sort());
  expect(await expectBootable(w)).toBe(set.entries[0]?.deployment);
  const kernels = [...new Set(set.entries.map((e) => path.basename(path.dirname(e.kernel))))].sort();
  expect((await fs.readdir(path.join(w.esp, "particle/boot/kernels"))).sort()).toEqual(kernels);
  // Nothing left to recover (temp files of a killed journal write are hidden and ignored by the journal).
  const journal = await fs.readdir(path.join(w.sysroot.root, "particle/journal")).catch(() => []);
  expect(journal.filter((n) => !n.startsWith("."))).toEqual([]);
  return set;
}

describe("systemd-boot entries on the ESP", () => {
  it("install-writes-bls-entries-kernels-and-loader-conf-on-the-esp", async () => {
    const w = await world("sdboot-install");
    expect(await readSysrootBootloader(w.sysroot.layout)).toBe("systemd-boot");
    await expect(fs.lstat(w.sysroot.layout.grubLink)).rejects.toMatchObject({ code: "ENOENT" });
    const set = await expectEspMatchesSet(w);
    expect(set.entries.map((e) => e.deployment)).toEqual([w.a]);
    expect(await fs.readdir(path.join(w.esp, "loader/entries"))).toEqual([
      `particle-${set.generation}-${w.a.replace("/", "-")}.conf`,
    ]);
    expect(await fs.readFile(path.join(w.esp, "loader/loader.conf"), "utf8")).toContain("default particle-*");
    const entry = await nextBoot(w.esp);
    expect(entry.options).toBe(`root=UUID=x ro particle.deployment=${w.a}`);
    expect(await fs.readFile(path.join(w.esp, entry.linux as string), "utf8")).toBe("kernel-1");
  });

  it("upgrade-counts-tries-marks-good-and-falls-back-after-three-failed-boots", async () => {
    const w = await world("sdboot-trial");
    await w.bootedInto(w.a);
    expect((await w.op("switch")).exitCode).toBe(0);
    const set = await expectEspMatchesSet(w);
    const b = set.entries[0]?.deployment as string;
    expect(set.entries.map((e) => e.deployment)).toEqual([b, w.a]);
    expect((await nextBoot(w.esp)).file).toMatch(/\+3\.conf$/);
    // Both kernels are on the ESP: A's is still booted from.
    expect((await fs.readdir(path.join(w.esp, "particle/boot/kernels"))).length).toBe(2);

    // B fails to boot three times: systemd-boot counts each try, then boots A.
    for (let i = 0; i < 3; i++) expect(await tryBoot(w.esp)).toBe(b);
    expect((await readEspEntries(w.esp)).at(-1)?.file).toMatch(/\+0-3\.conf$/);
    expect(await tryBoot(w.esp)).toBe(w.a);
    await w.bootedInto(w.a);
    expect((await w.op("boot-complete")).exitCode).toBe(0);
    const fell = await expectEspMatchesSet(w);
    expect(fell.entries.map((e) => e.deployment)).toEqual([w.a, b]);
    expect((await readEspEntries(w.esp)).every((e) => e.left === undefined)).toBe(true);

    // Deployed again, B boots once and marks itself good: its entry loses the counter.
    await w.bootedInto(w.a);
    expect((await w.op("switch")).exitCode).toBe(0);
    const b2 = (await w.entrySet()).entries[0]?.deployment as string;
    expect(await tryBoot(w.esp)).toBe(b2);
    await w.bootedInto(b2);
    expect((await w.op("boot-complete")).exitCode).toBe(0);
    const good = await expectEspMatchesSet(w);
    expect(good.trial).toBeUndefined();
    expect(good.entries[0]?.deployment).toBe(b2);
    expect((await readEspEntries(w.esp)).every((e) => e.left === undefined)).toBe(true);
    // The booted deployment is kept, A is the rollback.
    expect(good.entries.map((e) => e.deployment)).toContain(w.a);
  });

  it("rollback-makes-the-previous-deployment-the-default-on-the-esp", async () => {
    const w = await world("sdboot-rollback");
    expect((await w.op("switch")).exitCode).toBe(0);
    const b = (await w.entrySet()).entries[0]?.deployment as string;
    expect((await w.op("rollback")).exitCode).toBe(0);
    const set = await expectEspMatchesSet(w);
    expect(set.entries.map((e) => e.deployment)).toEqual([w.a, b]);
  });

  it("a systemd-boot sysroot with no ESP to write refuses with ESP_NEEDED, and the ESP still boots A", async () => {
    const w = await world("sdboot-noesp");
    const before = await w.entrySet();
    const sysroot = await openSysroot(w.sysroot.root, {
      runDir: w.runDir,
      efivars: path.join(w.dir, "no-efivars"),
    });
    await expect(switchImage(sysroot, { reference: "os:b", finalize: true })).rejects.toMatchObject({
      code: "ESP_NEEDED",
    });
    expect((await w.entrySet()).generation).toBe(before.generation);
    expect(await expectBootable(w)).toBe(w.a);
  });
});

/**
 * Every step of an upgrade's entry switch, with which deployment boots after the kill (staging and
 * the /etc merge before it are the same for GRUB: apps/particle-bootc/test/crash.int.test.ts).
 */
const UPGRADE_FAILPOINTS: [string, "A" | "B"][] = [
  ["bootc.finalize/etc-merged", "A"],
  ["bootc.entries/begin", "A"],
  ["bootc.entries/written", "A"],
  ["bootc.entries/prepared", "A"],
  ["bootc.entries/published", "B"],
  ["bootc.entries/switched", "B"],
  ["bootc.entries/esp-completed", "B"],
  ["bootc.entries/commit", "B"],
  ["bootc.finalize/entries-switched", "B"],
  ["bootc.finalize/commit", "B"],
  ["atomic-write:before-rename", "A"],
];

describe("killed at any step, systemd-boot boots A or B", () => {
  it.each(UPGRADE_FAILPOINTS)(
    "upgrade killed at %s: the ESP boots %s, the next command makes the ESP match the set, the next upgrade completes",
    async (failpoint, expected) => {
      const w = await world("sdboot-crash");
      await w.bootedInto(w.a);
      const killed = await w.op("switch", `${failpoint}=kill`);
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      const booted = await expectBootable(w);
      expect(booted === w.a ? "A" : "B").toBe(expected);

      expect((await w.op("cleanup")).exitCode).toBe(0);
      const set = await expectEspMatchesSet(w);
      expect(set.entries[0]?.deployment).toBe(booted);
      const again = await w.op("switch");
      expect(again.exitCode, again.stderr).toBe(0);
      const final = await expectEspMatchesSet(w);
      expect(final.entries[0]?.deployment).not.toBe(w.a);
      expect(final.entries.map((e) => e.deployment)).toContain(w.a);
    },
  );

  it.each([
    ["bootc.entries/written", "B"],
    ["bootc.entries/prepared", "B"],
    ["bootc.entries/published", "A"],
    ["bootc.entries/switched", "A"],
    ["bootc.entries/esp-completed", "A"],
    ["bootc.entries/commit", "A"],
  ] as const)(
    "rollback killed at %s: the ESP boots %s, and the next command finishes or undoes it",
    async (failpoint, expected) => {
      const w = await world("sdboot-crash-rollback");
      expect((await w.op("switch")).exitCode).toBe(0);
      const b = (await w.entrySet()).entries[0]?.deployment as string;
      const killed = await w.op("rollback", `${failpoint}=kill`);
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      expect(await expectBootable(w)).toBe(expected === "A" ? w.a : b);
      expect((await w.op("cleanup")).exitCode).toBe(0);
      expect((await expectEspMatchesSet(w)).entries[0]?.deployment).toBe(expected === "A" ? w.a : b);
    },
  );
});
