import path from "node:path";
import { unmount } from "@particle/runtime";
import { bootloaderImage, bootVm, requireRoot } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { installBootloader, validateBootloader, writeBootEntries } from "../src/index.js";
import { markerEntry, mountedBiosDisk, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("extlinux", () => {
  it("boots-a-trial-entry-once-then-the-default-under-seabios", async () => {
    const { dir, disk, boot, target } = await mountedBiosDisk("extlinux");
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
