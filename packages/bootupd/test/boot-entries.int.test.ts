import { promises as fs } from "node:fs";
import path from "node:path";
import { bootloaderImage, requireRoot, SNAKEOIL_CERT, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  countSignatures,
  installBootloader,
  markBootSuccessful,
  parseGrubEnv,
  signEfiBinary,
  updateBootloader,
  verifyEfiBinary,
  writeBootEntries,
} from "../src/index.js";
import { markerEntry, scratchEsp, snakeoilSigning, stageKernel } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

const signing = snakeoilSigning;
const SD_BOOT = "usr/lib/systemd/boot/efi/systemd-bootx64.efi";

describe("boot entries", () => {
  it("replaces-the-grub-menu-and-ends-probation-when-marked-good", async () => {
    const dir = await scratchEsp("grub-entries");
    const target = { esp: dir, boot: dir };
    await installBootloader(target, { backend: "grub-efi", source: image });
    const files = await stageKernel(image, dir);
    await writeBootEntries(target, [markerEntry("a", files), markerEntry("b", files, { tries: 2 })], {
      default: "b",
    });
    const env = () => fs.readFile(path.join(dir, "grub/grubenv"), "utf8").then(parseGrubEnv);
    expect(await env()).toEqual({ particle_tries_b: "2" });
    await markBootSuccessful(target, "b");
    expect(await env()).toEqual({});
    await writeBootEntries(target, [markerEntry("c", files)], { default: "c" });
    const cfg = await fs.readFile(path.join(dir, "grub/grub.cfg"), "utf8");
    expect(cfg).toContain("--id 'c'");
    expect(cfg).not.toContain("--id 'a'");
    // No temporary files are left beside the menu.
    expect((await fs.readdir(path.join(dir, "grub"))).sort()).toEqual(["grub.cfg", "grubenv"]);
  });

  it("writes-systemd-boot-entries-and-the-oneshot-efi-variable", async () => {
    const dir = await scratchEsp("sdboot-entries");
    const efivars = path.join(path.dirname(dir), "efivars");
    await fs.mkdir(efivars);
    const target = { esp: dir, boot: dir, efivars };
    await installBootloader(target, { backend: "systemd-boot", source: image });
    const files = await stageKernel(image, dir);
    await writeBootEntries(target, [markerEntry("a", files), markerEntry("b", files, { tries: 3 })], {
      default: "a",
      oneshot: "b",
    });
    expect(await fs.readdir(path.join(dir, "loader/entries"))).toEqual(["a.conf", "b+3.conf"]);
    const variable = await fs.readFile(
      path.join(efivars, "LoaderEntryOneShot-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"),
    );
    expect(variable.readUInt32LE(0)).toBe(7);
    expect(variable.subarray(4).toString("utf16le")).toBe("b+3.conf\0");
    // systemd-boot's renames are kept when the menu is rewritten; stale entries go.
    await fs.rename(path.join(dir, "loader/entries/b+3.conf"), path.join(dir, "loader/entries/b+2-1.conf"));
    await writeBootEntries(target, [markerEntry("b", files, { tries: 3 })], { default: "b" });
    expect(await fs.readdir(path.join(dir, "loader/entries"))).toEqual(["b+2-1.conf"]);
    await markBootSuccessful(target, "b");
    expect(await fs.readdir(path.join(dir, "loader/entries"))).toEqual(["b.conf"]);

    // Without efivarfs the one-shot is refused before anything is written.
    await expect(
      writeBootEntries({ esp: dir, boot: dir }, [markerEntry("z", files)], { default: "z", oneshot: "z" }),
    ).rejects.toMatchObject({ code: "ONESHOT_UNSUPPORTED" });
    expect(await fs.readdir(path.join(dir, "loader/entries"))).toEqual(["b.conf"]);
  });

  it("generates-lilo-conf-but-refuses-to-install-lilo", async () => {
    const dir = await scratchEsp("lilo");
    const files = await stageKernel(image, dir);
    const report = await writeBootEntries({ boot: dir, disk: "/dev/vda" }, [markerEntry("dep1", files)], {
      default: "dep1",
      backend: "lilo",
    });
    expect(report).toEqual({ backend: "lilo", entries: 1, atomic: true });
    expect(await fs.readFile(path.join(dir, "lilo.conf"), "utf8")).toMatch(/^boot=\/dev\/vda$/m);
    await expect(installBootloader({ boot: dir }, { backend: "lilo", source: image })).rejects.toMatchObject({
      code: "LILO_UNSUPPORTED",
      exitCode: 9,
    });
  });
});

describe("Secure Boot", () => {
  it("signs-and-verifies-with-the-users-key", async () => {
    const dir = await scratchDir("sbsign");
    const out = path.join(dir, "signed.efi");
    expect(await countSignatures(path.join(image, SD_BOOT))).toBe(0);
    await signEfiBinary(path.join(image, SD_BOOT), out, signing);
    expect(await countSignatures(out)).toBe(1);
    expect(await verifyEfiBinary(out, SNAKEOIL_CERT)).toBe(true);
    await expect(
      signEfiBinary(path.join(image, SD_BOOT), out, { ...signing, passphrase: "wrong" }),
    ).rejects.toMatchObject({
      code: "SECUREBOOT_KEY_INVALID",
    });
  });

  it("updates-a-user-signed-chain-only-with-the-users-key", async () => {
    const dir = await scratchEsp("sb-update");
    const target = { esp: dir, boot: dir };
    await installBootloader(target, { backend: "grub-efi", source: image, secureBoot: true, signing });
    await expect(updateBootloader(target, { source: image })).rejects.toMatchObject({
      code: "SECUREBOOT_KEY_REQUIRED",
      exitCode: 2,
    });
    const report = await updateBootloader(target, { source: image, signing });
    expect(report.secureBoot).toBe(true);
    expect(await verifyEfiBinary(path.join(dir, "EFI/BOOT/BOOTX64.EFI"), SNAKEOIL_CERT)).toBe(true);
  });

  it("refuses-an-unsigned-kernel-on-a-secure-boot-install", async () => {
    const dir = await scratchEsp("sb-kernel");
    const target = { esp: dir, boot: dir };
    await installBootloader(target, { backend: "systemd-boot", source: image, secureBoot: true, signing });
    const files = await stageKernel(image, dir);
    // Debian's kernel is signed (by Debian): accepted.
    await writeBootEntries(target, [markerEntry("signed", files)], { default: "signed" });
    // An unsigned PE binary as the kernel: refused, menu unchanged.
    await fs.copyFile(path.join(image, SD_BOOT), path.join(dir, "particle/dep0/unsigned"));
    await expect(
      writeBootEntries(target, [markerEntry("unsigned", { ...files, kernel: "/particle/dep0/unsigned" })], {
        default: "unsigned",
      }),
    ).rejects.toMatchObject({ code: "SECUREBOOT_UNSIGNED" });
    expect(await fs.readdir(path.join(dir, "loader/entries"))).toEqual(["signed.conf"]);
  });
});
