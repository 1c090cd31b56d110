import { promises as fs } from "node:fs";
import path from "node:path";
import { bootloaderImage, bootVm, createDiskImage, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { installBootloader, validateBootloader, writeBootEntries } from "../src/index.js";
import { markerEntry, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("grub-efi", () => {
  it("boots-default-then-oneshot-under-ovmf", async () => {
    const dir = await scratchDir("grub-efi");
    const esp = path.join(dir, "esp");
    await fs.mkdir(esp);
    const target = { esp, boot: esp };
    await installBootloader(target, { backend: "grub-efi", source: image });
    const files = await stageKernel(image, esp);
    await writeBootEntries(target, [markerEntry("alpha", files), markerEntry("beta", files)], {
      default: "alpha",
      oneshot: "beta",
      timeout: 0,
    });
    expect((await validateBootloader(target)).valid).toBe(true);
    const disk = path.join(dir, "disk.img");
    await createDiskImage(disk, [{ sizeMiB: 48, type: "esp", content: { type: "vfat", dir: esp } }]);
    const first = await bootVm({
      firmware: "uefi",
      disk,
      workDir: path.join(dir, "vm1"),
      timeoutMs: 240_000,
    });
    expect(first.markers, first.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER beta"]);
    // GRUB cleared next_entry in grubenv on the FAT filesystem: the second boot takes the default.
    const second = await bootVm({
      firmware: "uefi",
      disk,
      workDir: path.join(dir, "vm2"),
      timeoutMs: 240_000,
    });
    expect(second.markers, second.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER alpha"]);
  });
});
