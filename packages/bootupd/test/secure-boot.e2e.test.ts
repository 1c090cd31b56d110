import { promises as fs } from "node:fs";
import path from "node:path";
import {
  bootloaderImage,
  bootVm,
  createDiskImage,
  requireRoot,
  SNAKEOIL_CERT,
  scratchDir,
} from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  installBootloader,
  readState,
  signEfiBinary,
  verifyEfiBinary,
  writeBootEntries,
} from "../src/index.js";
import { markerEntry, snakeoilSigning, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

/**
 * OVMF_VARS_4M.snakeoil.fd enrolls only Debian's snakeoil key (PK, KEK and db; no Microsoft keys),
 * so the Microsoft-signed shim would be refused. The chain here is: shim signed with the snakeoil
 * key (the "user's key") → Debian's signed GRUB (trusted by shim's built-in Debian CA) → Debian's
 * signed kernel (checked by GRUB through shim).
 */
const signing = snakeoilSigning;
const refused = /Access Denied|Security Violation|PARTICLE-MARKER \S+\r?\n/;

async function espDisk(
  dir: string,
  install: (target: { esp: string; boot: string }) => Promise<void>,
): Promise<string> {
  const esp = path.join(dir, "esp");
  await fs.mkdir(esp);
  const target = { esp, boot: esp };
  await install(target);
  const files = await stageKernel(image, esp);
  await writeBootEntries(target, [markerEntry("signed", files)], { default: "signed", timeout: 0 });
  const disk = path.join(dir, "disk.img");
  await createDiskImage(disk, [{ sizeMiB: 48, type: "esp", content: { type: "vfat", dir: esp } }]);
  return disk;
}

describe("secure boot", () => {
  it("boots-shim-and-signed-grub-with-secure-boot-enforced", async () => {
    const dir = await scratchDir("sb-signed");
    const disk = await espDisk(dir, async (target) => {
      await installBootloader(target, { backend: "grub-efi", source: image, secureBoot: true, signing });
      const state = await readState(target);
      expect(state?.components["grub-efi"]?.secureBoot).toBe(true);
      expect(Object.keys(state?.components["grub-efi"]?.packages ?? {})).toEqual([
        "shim-unsigned",
        "grub-efi-amd64-signed",
      ]);
    });
    const result = await bootVm({
      firmware: "uefi-secureboot",
      disk,
      workDir: path.join(dir, "vm"),
      until: refused,
      timeoutMs: 240_000,
    });
    expect(result.markers, result.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER signed"]);
    expect(result.serialLog).toMatch(/Secure boot enabled/);
  });

  it("boots-systemd-boot-and-a-kernel-signed-with-the-users-key", async () => {
    const dir = await scratchDir("sb-sdboot");
    const esp = path.join(dir, "esp");
    await fs.mkdir(esp);
    const target = { esp, boot: esp };
    // Debian 12's systemd-boot is unsigned; it loads the kernel through the firmware, which checks db.
    await installBootloader(target, { backend: "systemd-boot", source: image, secureBoot: true, signing });
    const files = await stageKernel(image, esp);
    const kernel = path.join(esp, files.kernel);
    await signEfiBinary(kernel, `${kernel}.signed`, signing);
    await fs.rename(`${kernel}.signed`, kernel);
    expect(await verifyEfiBinary(kernel, SNAKEOIL_CERT)).toBe(true);
    await writeBootEntries(target, [markerEntry("sdboot-signed", files)], {
      default: "sdboot-signed",
      timeout: 0,
    });
    const disk = path.join(dir, "disk.img");
    await createDiskImage(disk, [{ sizeMiB: 48, type: "esp", content: { type: "vfat", dir: esp } }]);
    const result = await bootVm({
      firmware: "uefi-secureboot",
      disk,
      workDir: path.join(dir, "vm"),
      until: refused,
      timeoutMs: 240_000,
    });
    expect(result.markers, result.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER sdboot-signed"]);
    expect(result.serialLog).toMatch(/Secure boot enabled/);
  });

  it("firmware-refuses-an-unsigned-grub", async () => {
    const dir = await scratchDir("sb-unsigned");
    const disk = await espDisk(dir, (target) =>
      installBootloader(target, { backend: "grub-efi", source: image }).then(() => undefined),
    );
    const result = await bootVm({
      firmware: "uefi-secureboot",
      disk,
      workDir: path.join(dir, "vm"),
      until: refused,
      timeoutMs: 120_000,
    });
    expect(result.markers).toEqual([]);
    expect(result.matched).toBe(true);
  });
});
