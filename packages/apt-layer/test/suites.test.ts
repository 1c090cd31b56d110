import { describe, expect, it } from "vitest";
import {
  bootablePackages,
  suiteProfile,
  suiteProfileOfOsRelease,
  suiteProfiles,
} from "../src/debian/suites.js";

describe("suite profiles", () => {
  it("know Debian 12, Debian 13 and Ubuntu 24.04 by codename", () => {
    expect(suiteProfiles().map((p) => [p.suite, p.distribution, p.release])).toEqual([
      ["bookworm", "debian", "12"],
      ["trixie", "debian", "13"],
      ["noble", "ubuntu", "24.04"],
    ]);
  });

  it("give each release its archive and keyring", () => {
    expect(suiteProfile("trixie")).toMatchObject({
      mirror: "http://deb.debian.org/debian",
      components: ["main"],
      keyring: { file: "/usr/share/keyrings/debian-archive-keyring.gpg", package: "debian-archive-keyring" },
    });
    expect(suiteProfile("noble")).toMatchObject({
      mirror: "http://archive.ubuntu.com/ubuntu",
      components: ["main", "universe"],
      keyring: { file: "/usr/share/keyrings/ubuntu-archive-keyring.gpg", package: "ubuntu-keyring" },
    });
  });

  it("name the packages a bootable image needs, per release", () => {
    const common = [
      "systemd-sysv",
      "initramfs-tools",
      "grub-efi-amd64-bin",
      "shim-signed",
      "grub-efi-amd64-signed",
      "grub-pc-bin",
      "systemd-boot-efi",
    ];
    expect(bootablePackages(suiteProfile("bookworm")).sort()).toEqual(
      ["linux-image-amd64", ...common].sort(),
    );
    // Debian 13 signs systemd-boot: its Secure Boot chain is shim + the signed systemd-boot.
    expect(suiteProfile("trixie").bootloaders["systemd-boot"].secureBoot).toEqual([
      "shim-signed",
      "systemd-boot-efi-amd64-signed",
    ]);
    expect(suiteProfile("bookworm").bootloaders["systemd-boot"].secureBoot).toBeUndefined();
    expect(bootablePackages(suiteProfile("trixie")).sort()).toEqual(
      ["linux-image-amd64", "systemd-boot-efi-amd64-signed", ...common].sort(),
    );
    // Ubuntu's kernel metapackage has another name; it ships no distribution-signed systemd-boot.
    expect(bootablePackages(suiteProfile("noble")).sort()).toEqual(["linux-image-generic", ...common].sort());
  });

  it("refuse an unknown suite with the list of known ones", () => {
    let error: unknown;
    try {
      suiteProfile("sid");
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: "SUITE_UNKNOWN",
      exitCode: 4,
      message:
        'apt-layer has no profile for the suite "sid"; it knows bookworm (Debian 12 (bookworm)), trixie (Debian 13 (trixie)), noble (Ubuntu 24.04 LTS (noble))',
    });
  });

  it("find the profile of an image's os-release, checking its distribution", () => {
    expect(suiteProfileOfOsRelease({ ID: "ubuntu", VERSION_CODENAME: "noble" }).title).toBe(
      "Ubuntu 24.04 LTS (noble)",
    );
    expect(() => suiteProfileOfOsRelease({ ID: "ubuntu", VERSION_CODENAME: "trixie" })).toThrow(
      expect.objectContaining({ code: "SUITE_UNKNOWN" }),
    );
    expect(() => suiteProfileOfOsRelease({ ID: "debian" })).toThrow(
      expect.objectContaining({ code: "SUITE_UNKNOWN" }),
    );
  });
});
