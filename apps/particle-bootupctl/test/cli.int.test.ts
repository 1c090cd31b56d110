import { promises as fs } from "node:fs";
import path from "node:path";
import { listFat } from "@particle/runtime";
import { bootloaderImage, createDiskImage, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { bootupctl, json } from "./helpers.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

async function espDir(name: string): Promise<string> {
  const esp = path.join(await scratchDir(name), "esp");
  await fs.mkdir(esp);
  return esp;
}

describe("particle-bootupctl", () => {
  it("installs, reports status, validates, detects tampering and repairs it with update", async () => {
    const esp = await espDir("bootupctl-main");
    const install = await bootupctl([
      "install",
      "--backend",
      "grub-efi",
      "--esp",
      esp,
      "--source",
      image,
      "--json",
    ]);
    expect(install.exitCode, install.stderr).toBe(0);
    const installed = json(install.stdout);
    expect(installed).toMatchObject({
      apiVersion: "particle.dev/v1",
      kind: "BootloaderInstall",
      backend: "grub-efi",
      origin: "install",
    });
    expect(installed.changed).toEqual(["esp:EFI/BOOT", "esp:EFI/debian"]);

    const status = json<{
      components: { backend: string; updateAvailable: boolean; installed: Record<string, string> }[];
      interrupted: unknown[];
    }>((await bootupctl(["status", "--esp", esp, "--source", image, "--json"])).stdout);
    expect(status.components).toHaveLength(1);
    expect(status.components[0]).toMatchObject({ backend: "grub-efi", updateAvailable: false });
    expect(Object.keys(status.components[0]?.installed ?? {})).toEqual(["grub-efi-amd64-bin"]);
    expect(status.interrupted).toEqual([]);
    const text = await bootupctl(["status", "--esp", esp, "--source", image]);
    expect(text.stdout).toMatch(/^the image can install: systemd-boot, grub-efi, grub-bios, extlinux$/m);

    expect((await bootupctl(["validate", "--esp", esp])).exitCode).toBe(0);
    await fs.appendFile(path.join(esp, "EFI/debian/grub.cfg"), "# tampered\n");
    await fs.rm(path.join(esp, "EFI/BOOT/BOOTX64.EFI"));
    await fs.writeFile(path.join(esp, "EFI/debian/extra.efi"), "x");
    const invalid = await bootupctl(["validate", "--esp", esp, "--json"]);
    expect(invalid.exitCode).toBe(6);
    const problems = json<{ problems: { path: string; problem: string }[] }>(invalid.stdout).problems.map(
      (p) => `${p.problem} ${p.path}`,
    );
    expect(problems.sort()).toEqual([
      "changed esp:EFI/debian/grub.cfg",
      "extra esp:EFI/debian/extra.efi",
      "missing esp:EFI/BOOT/BOOTX64.EFI",
    ]);

    const update = await bootupctl(["update", "--esp", esp, "--source", image, "--json"]);
    expect(update.exitCode, update.stderr).toBe(0);
    expect(json(update.stdout)).toMatchObject({
      kind: "BootloaderUpdate",
      origin: "update",
      changed: ["esp:EFI/BOOT", "esp:EFI/debian"],
    });
    expect((await bootupctl(["validate", "--esp", esp])).exitCode).toBe(0);
    expect((await bootupctl(["validate", "--esp", esp])).stdout).toMatch(/^all \d+ recorded files match$/m);
    // The state records files on the ESP: validating with --boot alone asks for --esp.
    const noEsp = await bootupctl(["validate", "--boot", esp]);
    expect(noEsp.exitCode).toBe(2);
    expect(noEsp.stderr).toMatch(/^error: this target needs --esp$/m);
    expect(noEsp.stderr).toMatch(/^hint: Pass the mounted ESP/m);
  });

  it("installs into the ESP partition of a disk image without mounting it", async () => {
    const dir = await scratchDir("bootupctl-image");
    const disk = path.join(dir, "disk.img");
    const [esp] = await createDiskImage(disk, [{ sizeMiB: 40, type: "esp", content: { type: "vfat" } }]);
    if (esp === undefined) throw new Error("no ESP");
    const install = await bootupctl([
      "install",
      "--backend",
      "systemd-boot",
      "--disk",
      disk,
      "--esp-partition",
      "1",
      "--source",
      image,
    ]);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(await listFat(disk, esp)).toEqual(
      expect.arrayContaining([
        "EFI/BOOT/BOOTX64.EFI",
        "EFI/systemd/systemd-bootx64.efi",
        "particle-bootupd/state.json",
      ]),
    );
    expect((await bootupctl(["validate", "--disk", disk, "--esp-partition", "1"])).exitCode).toBe(0);
    const status = json<{ components: { backend: string }[] }>(
      (await bootupctl(["status", "--disk", disk, "--esp-partition", "1", "--source", image, "--json"]))
        .stdout,
    );
    expect(status.components.map((c) => c.backend)).toEqual(["systemd-boot"]);
    const missing = await bootupctl(["status", "--disk", disk, "--esp-partition", "7"]);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/^error: .* has no partition 7$/m);
  });

  it("writes boot entries from a file, generates lilo.conf when asked, and marks a boot good", async () => {
    const esp = await espDir("bootupctl-entries");
    expect(
      (await bootupctl(["install", "--backend", "grub-efi", "--esp", esp, "--source", image])).exitCode,
    ).toBe(0);
    const entry = (id: string) => ({
      id,
      title: `Particle ${id}`,
      kernel: `/particle/${id}/vmlinuz`,
      initrd: [`/particle/${id}/initrd.img`],
      options: "quiet",
    });
    const doc = {
      apiVersion: "particle.dev/v1",
      kind: "BootEntries",
      menu: { default: "new", timeout: 0 },
      entries: [entry("old"), { ...entry("new"), sortKey: "2", tries: 3 }],
    };
    const file = path.join(path.dirname(esp), "menu.json");
    await fs.writeFile(file, JSON.stringify(doc));
    const written = await bootupctl(["write-entries", "--esp", esp, "--entries", file, "--json"]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(json(written.stdout)).toMatchObject({
      kind: "BootEntriesWritten",
      backend: "grub-efi",
      entries: 2,
      atomic: true,
    });
    expect(await fs.readFile(path.join(esp, "grub/grub.cfg"), "utf8")).toContain("--id 'new'");
    expect(await fs.readFile(path.join(esp, "grub/grubenv"), "utf8")).toContain("particle_tries_new=3\n");
    expect((await bootupctl(["mark-good", "new", "--esp", esp])).exitCode).toBe(0);
    expect(await fs.readFile(path.join(esp, "grub/grubenv"), "utf8")).not.toContain("particle_tries_new");

    const boot = path.join(path.dirname(esp), "lilo-boot");
    await fs.mkdir(boot);
    await fs.writeFile(
      file,
      JSON.stringify({ ...doc, backend: "lilo", entries: [entry("old"), entry("new")] }),
    );
    expect(
      (await bootupctl(["write-entries", "--boot", boot, "--disk", "/dev/vda", "--entries", file])).exitCode,
    ).toBe(0);
    expect(await fs.readFile(path.join(boot, "lilo.conf"), "utf8")).toMatch(/^default=new$/m);

    await fs.writeFile(file, JSON.stringify({ ...doc, menu: { default: "missing" } }));
    const bad = await bootupctl(["write-entries", "--esp", esp, "--entries", file]);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(
      /^error: boot entries are invalid: the default entry "missing" is not in the list$/m,
    );
    expect(bad.stderr).toMatch(/^hint: /m);
    expect(await fs.readFile(path.join(esp, "grub/grub.cfg"), "utf8")).toContain("--id 'new'");
  });

  it("adopts a bootloader installed by something else", async () => {
    const esp = await espDir("bootupctl-adopt");
    // What Debian's grub-install leaves on an ESP: GRUB in EFI/debian and no bootupd state.
    await fs.mkdir(path.join(esp, "EFI/debian"), { recursive: true });
    await fs.copyFile(
      path.join(image, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"),
      path.join(esp, "EFI/debian/grubx64.efi"),
    );
    const before = json<{ adoptable: string[] }>(
      (await bootupctl(["status", "--esp", esp, "--source", image, "--json"])).stdout,
    );
    expect(before.adoptable).toEqual(["grub-efi"]);
    const adopt = await bootupctl(["adopt-and-update", "--esp", esp, "--source", image, "--json"]);
    expect(adopt.exitCode, adopt.stderr).toBe(0);
    expect(json(adopt.stdout)).toMatchObject({ backend: "grub-efi", origin: "adopt" });
    expect((await bootupctl(["validate", "--esp", esp])).exitCode).toBe(0);
  });

  it("refuses bad input with a stable code, a hint and no change on disk", async () => {
    const esp = await espDir("bootupctl-bad");
    const missing = await bootupctl(["install", "--esp", esp, "--source", image]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^error: --backend is required$/m);
    expect(missing.stderr).toMatch(/^hint: For example: --backend grub-efi$/m);
    const noEntries = await bootupctl(["write-entries", "--esp", esp]);
    expect(noEntries.exitCode).toBe(2);
    expect(noEntries.stderr).toMatch(/^error: --entries is required$/m);
    expect(noEntries.stderr).toMatch(/^hint: For example: --entries menu.json$/m);

    const unknown = await bootupctl([
      "install",
      "--backend",
      "grub2",
      "--esp",
      esp,
      "--source",
      image,
      "--json",
    ]);
    expect(unknown.exitCode).toBe(2);
    expect(json<{ error: { code: string } }>(unknown.stdout).error.code).toBe("BOOTLOADER_UNKNOWN");

    const lilo = await bootupctl(["install", "--backend", "lilo", "--boot", esp, "--source", image]);
    expect(lilo.exitCode).toBe(9);
    expect(lilo.stderr).toMatch(
      /^error: LILO cannot be installed: Debian 12 and Ubuntu 24.04 no longer package it$/m,
    );

    // Debian 12's systemd-boot is unsigned: without a key, a Secure Boot install is refused.
    const unsigned = await bootupctl([
      "install",
      "--backend",
      "systemd-boot",
      "--secure-boot",
      "--esp",
      esp,
      "--source",
      image,
    ]);
    expect(unsigned.exitCode).toBe(6);
    expect(unsigned.stderr).toMatch(
      /^error: refusing to install an unsigned boot chain: .*systemd-bootx64\.efi has no signature$/m,
    );
    expect(unsigned.stderr).toMatch(/^hint: /m);

    // GRUB for BIOS needs the disk: refused before anything is written.
    const noDisk = await bootupctl(["install", "--backend", "grub-bios", "--boot", esp, "--source", image]);
    expect(noDisk.exitCode).toBe(2);
    expect(noDisk.stderr).toMatch(/^error: grub-bios needs --disk and --boot-partition$/m);

    const partition = await bootupctl(["status", "--esp", esp, "--boot-partition", "two"]);
    expect(partition.exitCode).toBe(2);

    const notInstalled = await bootupctl(["update", "--esp", esp, "--source", image]);
    expect(notInstalled.exitCode).toBe(3);
    expect(notInstalled.stderr).toMatch(/^hint: Run `particle-bootupctl install`/m);
    // Nothing but the (empty) bootupd directory was created.
    expect((await fs.readdir(esp)).filter((n) => n !== "particle-bootupd")).toEqual([]);
  });
});
