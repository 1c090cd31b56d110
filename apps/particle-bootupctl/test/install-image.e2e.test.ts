import { promises as fs } from "node:fs";
import path from "node:path";
import { copyIntoFat } from "@particle/runtime";
import {
  bootloaderImage,
  bootVm,
  buildMarkerInitramfs,
  createDiskImage,
  requireRoot,
  rootfsKernel,
  scratchDir,
} from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { bootupctl } from "./helpers.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

describe("particle-bootupctl on a disk image", () => {
  it("installs-grub-efi-and-writes-the-menu-into-an-unmounted-image-that-boots", async () => {
    const dir = await scratchDir("bootupctl-image-boot");
    const disk = path.join(dir, "disk.img");
    const [esp] = await createDiskImage(disk, [{ sizeMiB: 48, type: "esp", content: { type: "vfat" } }]);
    if (esp === undefined) throw new Error("no ESP");
    // The kernel and initramfs a deployment would bring (bootc copies them; here mtools does).
    const kernelDir = path.join(dir, "files/particle/dep0");
    await fs.mkdir(kernelDir, { recursive: true });
    await fs.copyFile(await rootfsKernel(image), path.join(kernelDir, "vmlinuz"));
    await buildMarkerInitramfs(image, path.join(kernelDir, "initrd.img"));
    await copyIntoFat(disk, esp, path.join(dir, "files"));

    const onImage = ["--disk", disk, "--esp-partition", "1"];
    const install = await bootupctl(["install", "--backend", "grub-efi", ...onImage, "--source", image]);
    expect(install.exitCode, install.stderr).toBe(0);
    const menu = path.join(dir, "menu.json");
    await fs.writeFile(
      menu,
      JSON.stringify({
        apiVersion: "particle.dev/v1",
        kind: "BootEntries",
        menu: { default: "image", timeout: 0 },
        entries: [
          {
            id: "image",
            title: "Particle image",
            kernel: "/particle/dep0/vmlinuz",
            initrd: ["/particle/dep0/initrd.img"],
            options: "console=ttyS0 panic=-1 PARTICLE_MARKER=image",
          },
        ],
      }),
    );
    const written = await bootupctl(["write-entries", ...onImage, "--entries", menu]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect((await bootupctl(["validate", ...onImage])).exitCode).toBe(0);

    const boot = await bootVm({ firmware: "uefi", disk, workDir: path.join(dir, "vm") });
    expect(boot.markers, boot.serialLog.slice(-2000)).toEqual(["PARTICLE-MARKER image"]);
  });
});
