import path from "node:path";
import { unmount } from "@particle/runtime";
import { bootloaderImage, bootVm, requireRoot } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { mbrCoreSector } from "../src/bios-boot-code.js";
import { readAt } from "../src/block-device.js";
import { installBootloader, updateBootloader, validateBootloader, writeBootEntries } from "../src/index.js";
import { markerEntry, mountedBiosDisk, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("grub-bios", () => {
  it("boots-under-seabios-from-the-updated-core-slot-and-falls-back-when-the-counter-runs-out", async () => {
    const { dir, disk, boot, target } = await mountedBiosDisk("grub-bios");
    const report = await installBootloader(target, { backend: "grub-bios", source: image });
    expect(report.bootCode.map((c) => c.what)).toEqual(["mbr", "core.img"]);
    // An update writes core.img into the other half of the BIOS boot partition, then switches the MBR.
    const before = mbrCoreSector(await readAt(disk, 0, 512));
    await updateBootloader(target, { source: image });
    const after = mbrCoreSector(await readAt(disk, 0, 512));
    expect(after - before).toBe(1024n);
    const files = await stageKernel(image, boot);
    await writeBootEntries(target, [markerEntry("good", files), markerEntry("trial", files, { tries: 1 })], {
      default: "trial",
      timeout: 0,
    });
    expect((await validateBootloader(target)).valid).toBe(true);
    await unmount(boot);

    const first = await bootVm({ firmware: "bios", disk, workDir: path.join(dir, "vm1") });
    expect(first.markers, first.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER trial"]);
    // GRUB spent the only try (save_env on ext4); the next boot takes the fallback.
    const second = await bootVm({ firmware: "bios", disk, workDir: path.join(dir, "vm2") });
    expect(second.markers, second.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER good"]);
  });
});
