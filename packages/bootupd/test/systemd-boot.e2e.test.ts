import { promises as fs } from "node:fs";
import path from "node:path";
import { listFat } from "@particle/runtime";
import { bootloaderImage, bootVm, createDiskImage, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { installBootloader, validateBootloader, writeBootEntries } from "../src/index.js";
import { markerEntry, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("systemd-boot", () => {
  it("counts-tries-and-falls-back-when-an-entry-fails", async () => {
    const dir = await scratchDir("systemd-boot");
    const esp = path.join(dir, "esp");
    await fs.mkdir(esp);
    const target = { esp, boot: esp };
    await installBootloader(target, { backend: "systemd-boot", source: image });
    const files = await stageKernel(image, esp);
    await writeBootEntries(
      target,
      [markerEntry("good", files, { sortKey: "1" }), markerEntry("trial", files, { sortKey: "2", tries: 1 })],
      {
        default: "trial",
        timeout: 0,
      },
    );
    expect(await fs.readdir(path.join(esp, "loader/entries"))).toEqual(["good.conf", "trial+1.conf"]);
    expect((await validateBootloader(target)).valid).toBe(true);
    const disk = path.join(dir, "disk.img");
    const [part] = await createDiskImage(disk, [
      { sizeMiB: 48, type: "esp", content: { type: "vfat", dir: esp } },
    ]);
    if (part === undefined) throw new Error("no partition");

    const first = await bootVm({ firmware: "uefi", disk, workDir: path.join(dir, "vm1") });
    expect(first.markers, first.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER trial"]);
    // systemd-boot counted the try by renaming the entry file on the ESP.
    expect((await listFat(disk, part)).filter((f) => f.startsWith("loader/entries/"))).toEqual([
      "loader/entries/good.conf",
      "loader/entries/trial+0-1.conf",
    ]);

    // The trial never marked itself good: with no tries left, systemd-boot boots the other entry.
    const second = await bootVm({ firmware: "uefi", disk, workDir: path.join(dir, "vm2") });
    expect(second.markers, second.serialLog.slice(-3000)).toEqual(["PARTICLE-MARKER good"]);
  });
});
