import path from "node:path";
import { unmount } from "@particle/runtime";
import { bootloaderImage, bootVm, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { installBootloader, validateBootloader, writeBootEntries } from "../src/index.js";
import { biosDisk, markerEntry, mountPartition, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("extlinux", () => {
  it("boots-a-trial-entry-once-then-the-default-under-seabios", async () => {
    const dir = await scratchDir("extlinux");
    const disk = path.join(dir, "disk.img");
    const bootPart = await biosDisk(disk);
    const boot = path.join(dir, "boot");
    await mountPartition(disk, bootPart, boot);
    const target = { boot, disk, bootPartition: 2 };
    await installBootloader(target, { backend: "extlinux", source: image });
    const files = await stageKernel(image, boot);
    // syslinux cannot count: the trial entry is booted once through the ADV, the default stays on "good".
    await writeBootEntries(target, [markerEntry("good", files), markerEntry("trial", files, { tries: 3 })], {
      default: "trial",
      timeout: 0,
    });
    expect((await validateBootloader(target)).valid).toBe(true);
    await unmount(boot);

    const first = await bootVm({ firmware: "bios", disk, workDir: path.join(dir, "vm1") });
    expect(first.markers, first.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER trial"]);
    const second = await bootVm({ firmware: "bios", disk, workDir: path.join(dir, "vm2") });
    expect(second.markers, second.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER good"]);
  });
});
