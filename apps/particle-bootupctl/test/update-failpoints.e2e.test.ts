import { promises as fs } from "node:fs";
import path from "node:path";
import { type BootEntryInput, writeBootEntries } from "@particle/bootupd";
import { sha256File } from "@particle/runtime";
import {
  bootloaderImage,
  bootVm,
  buildMarkerInitramfs,
  createDiskImage,
  destroyScratch,
  requireRoot,
  rootfsKernel,
  scratchDir,
} from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootupctl, json } from "./helpers.js";

/**
 * An `update` killed (SIGKILL) at every failpoint: each owned ESP directory holds the whole old set
 * or the whole new set, the disk boots, `status` shows the interrupted update and the next `update`
 * finishes it. systemd-boot owns two directories (EFI/BOOT and EFI/systemd), so kills land between
 * directories too. The "new version" is the image's systemd-boot with padding after its PE sections
 * (firmware ignores it) and a bumped package version.
 */
interface KillPoint {
  readonly point: string;
  /** Whether the journal entry exists yet (the first atomic write is the journal's own). */
  readonly journaled: boolean;
  /** Boot the disk as the kill left it: one boot per distinct ESP state keeps the suite short. */
  readonly boot: boolean;
}
const KILL_POINTS: readonly KillPoint[] = [
  { point: "atomic-write:before-rename", journaled: false, boot: false },
  { point: "bootupd-update/begin", journaled: true, boot: false },
  { point: "bootupd-update/stage:esp:EFI/BOOT", journaled: true, boot: false },
  // Old directories, complete new copies staged beside them.
  { point: "bootupd-update/stage:esp:EFI/systemd", journaled: true, boot: true },
  // EFI/BOOT new, EFI/systemd old.
  { point: "bootupd-update/swap:esp:EFI/BOOT", journaled: true, boot: true },
  { point: "bootupd-update/swap:esp:EFI/systemd", journaled: true, boot: false },
  { point: "bootupd-update/bootcode", journaled: true, boot: false },
  { point: "bootupd-update/state", journaled: true, boot: false },
  // Everything new, the journal entry not yet removed.
  { point: "bootupd-update/commit", journaled: true, boot: true },
];
const SD_BOOT = "usr/lib/systemd/boot/efi/systemd-bootx64.efi";
const OWNED = ["EFI/BOOT", "EFI/systemd"];

let work: string;
let image: string;
let newSource: string;
let baseline: string;
const sets: Record<"old" | "new", Record<string, string>> = { old: {}, new: {} };

async function dirSet(esp: string): Promise<Record<string, string>> {
  const set: Record<string, string> = {};
  for (const dir of OWNED) {
    for (const name of (await fs.readdir(path.join(esp, dir)).catch(() => [])).sort())
      set[`${dir}/${name}`] = await sha256File(path.join(esp, dir, name));
  }
  return set;
}

afterAll(async () => {
  if (work) await destroyScratch(work);
});

beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
  work = await scratchDir("bootupctl-failpoints", { scope: "manual" });
  newSource = path.join(work, "new-image");
  await fs.mkdir(path.join(newSource, path.dirname(SD_BOOT)), { recursive: true });
  await fs.mkdir(path.join(newSource, "var/lib/dpkg"), { recursive: true });
  await fs.writeFile(
    path.join(newSource, SD_BOOT),
    Buffer.concat([await fs.readFile(path.join(image, SD_BOOT)), Buffer.alloc(4096)]),
  );
  const status = await fs.readFile(path.join(image, "var/lib/dpkg/status"), "utf8");
  await fs.writeFile(
    path.join(newSource, "var/lib/dpkg/status"),
    status.replace(/(Package: systemd-boot-efi\n(?:.+\n)*?Version: )(.+)/, "$1$2+particle1"),
  );

  baseline = path.join(work, "baseline");
  await fs.mkdir(baseline);
  const installed = await bootupctl([
    "install",
    "--backend",
    "systemd-boot",
    "--esp",
    baseline,
    "--source",
    image,
  ]);
  expect(installed.exitCode, installed.stderr).toBe(0);
  sets.old = await dirSet(baseline);
  await fs.mkdir(path.join(baseline, "particle/dep0"), { recursive: true });
  await fs.copyFile(await rootfsKernel(image), path.join(baseline, "particle/dep0/vmlinuz"));
  await buildMarkerInitramfs(image, path.join(baseline, "particle/dep0/initrd.img"));
  const entry: BootEntryInput = {
    id: "dep0",
    title: "Particle dep0",
    kernel: "/particle/dep0/vmlinuz",
    initrd: ["/particle/dep0/initrd.img"],
    options: "console=ttyS0 panic=-1 PARTICLE_MARKER=dep0",
  };
  await writeBootEntries({ esp: baseline, boot: baseline }, [entry], { default: "dep0", timeout: 0 });

  const reference = path.join(work, "reference");
  await fs.cp(baseline, reference, { recursive: true });
  expect((await bootupctl(["update", "--esp", reference, "--source", newSource])).exitCode).toBe(0);
  sets.new = await dirSet(reference);
  expect(sets.new).not.toEqual(sets.old);
}, 600_000);

describe("update killed at every failpoint", () => {
  it.each(KILL_POINTS)(
    "leaves-old-or-new-set-and-boots-after-kill-at $point",
    async ({ point, journaled, boot: shouldBoot }) => {
      const dir = await scratchDir("failpoint");
      const esp = path.join(dir, "esp");
      await fs.cp(baseline, esp, { recursive: true });
      const killed = await bootupctl(["update", "--esp", esp, "--source", newSource], {
        PARTICLE_FAILPOINTS: `${point}=kill`,
      });
      expect(killed.signal).toBe("SIGKILL");

      // Each owned directory is the complete old set or the complete new set.
      const now = await dirSet(esp);
      for (const owned of OWNED) {
        const pick = (set: Record<string, string>) =>
          Object.fromEntries(Object.entries(set).filter(([k]) => k.startsWith(`${owned}/`)));
        expect([pick(sets.old), pick(sets.new)]).toContainEqual(pick(now));
      }
      const status = json<{ interrupted: { steps: string[] }[] }>(
        (await bootupctl(["status", "--esp", esp, "--source", newSource, "--json"])).stdout,
      );
      expect(status.interrupted).toHaveLength(journaled ? 1 : 0);

      if (shouldBoot) {
        // The ESP as the kill left it boots.
        const disk = path.join(dir, "disk.img");
        await createDiskImage(disk, [{ sizeMiB: 48, type: "esp", content: { type: "vfat", dir: esp } }]);
        const boot = await bootVm({ firmware: "uefi", disk, workDir: path.join(dir, "vm") });
        expect(boot.markers, boot.serialLog.slice(-2000)).toEqual(["PARTICLE-MARKER dep0"]);
      }

      // The next update finishes the job.
      const finished = await bootupctl(["update", "--esp", esp, "--source", newSource, "--json"]);
      expect(finished.exitCode, finished.stderr).toBe(0);
      expect(json<{ recovered: string[] }>(finished.stdout).recovered).toHaveLength(journaled ? 1 : 0);
      expect(await dirSet(esp)).toEqual(sets.new);
      expect((await bootupctl(["validate", "--esp", esp])).exitCode).toBe(0);
      const after = json<{
        interrupted: unknown[];
        components: { updateAvailable: boolean; installed: Record<string, string> }[];
      }>((await bootupctl(["status", "--esp", esp, "--source", newSource, "--json"])).stdout);
      expect(after.interrupted).toEqual([]);
      expect(after.components[0]?.updateAvailable).toBe(false);
      expect(after.components[0]?.installed["systemd-boot-efi"]).toMatch(/\+particle1$/);
    },
  );
});
