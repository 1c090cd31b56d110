import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { bootVm, scratchDir, type VmResult } from "@particle/test-kit";
import { expect } from "vitest";
import { bootupdInstaller, type DiskInstallOptions, installToDisk, ociImporter } from "../../src/index.js";
import { buildE2eImages, GUEST_REFERENCE } from "./e2e-images.js";

const BUILD_DEB = path.resolve(import.meta.dirname, "../../../../packaging/deb/build-deb.mjs");

export interface E2eMachine {
  /** The raw disk image the machine boots from. */
  readonly disk: string;
  /** The deployment `install to-disk` made (image A). */
  readonly deployment: string;
  /** Boots until the guest's step script reports `final` (or `kill-now`, or `until`); fails on a timeout. */
  boot(until?: RegExp): Promise<VmResult>;
  /** Asserts that a boot reported each `PARTICLE-MARKER <line>`. */
  has(result: VmResult, ...lines: string[]): void;
}

/**
 * A machine for the boot tests: the toolkit .deb and images A/B/broken built (test/support/e2e-images.ts),
 * A installed on a raw disk with the given bootloader, and a `boot` that runs it in QEMU (TCG, OVMF).
 * PARTICLE_TEST_LOGS=DIR keeps every boot's serial logs for a person to read.
 */
export async function e2eMachine(
  name: string,
  install: Pick<DiskInstallOptions, "bootEntries" | "espMiB"> & {
    readonly bootloader: "grub-efi" | "systemd-boot";
  },
): Promise<E2eMachine> {
  const dir = await scratchDir(name);
  const deb = (await run("node", [BUILD_DEB, "--out", path.join(dir, "deb")])).stdout.trim();
  const store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
  const images = await buildE2eImages(store, path.join(dir, "build"), deb);
  const disk = path.join(dir, "disk.img");
  const installed = await installToDisk(disk, {
    ...install,
    reference: images.hostReference,
    trackedReference: GUEST_REFERENCE,
    importer: ociImporter({ workDir: path.join(dir, "import"), authFile: path.join(dir, "no-auth.json") }),
    bootloader: bootupdInstaller(install.bootloader),
    kargs: ["console=ttyS0,115200"],
    rootMiB: 2048,
    storeRunDir: path.join(dir, "run"),
  });

  let n = 0;
  return {
    disk,
    deployment: installed.deployment,
    async boot(until = /PARTICLE-MARKER (kill-now|final)/) {
      const workDir = path.join(dir, `boot-${n++}`);
      const result = await bootVm({
        firmware: "uefi",
        disk,
        workDir,
        until,
        timeoutMs: 600_000,
        memoryMiB: 1024,
      });
      const keep = process.env.PARTICLE_TEST_LOGS;
      if (keep)
        await fs.cp(workDir, path.join(keep, `${name}-${path.basename(workDir)}`), { recursive: true });
      expect(result.timedOut, result.serialLog.slice(-3000)).toBe(false);
      return result;
    },
    has(result, ...lines) {
      for (const line of lines)
        expect(result.markers, `${result.markers.join("\n")}\n${result.serialLog.slice(-2000)}`).toContain(
          `PARTICLE-MARKER ${line}`,
        );
    },
  };
}
