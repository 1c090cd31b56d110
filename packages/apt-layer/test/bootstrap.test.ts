import { describe, expect, it } from "vitest";
import { bootstrapPlan, mmdebstrapArgs } from "../src/build/bootstrap.js";
import { osLabels, parseOsRelease } from "../src/debian/os-release.js";

/** The shipped settings: mirror, components and keyring empty, so the suite's profile decides. */
const defaults = { mirror: "", components: [], variant: "minbase" as const, keyring: "" };

describe("mmdebstrap arguments", () => {
  it("take the mirror, components and keyring of the suite's profile by default", () => {
    expect(mmdebstrapArgs(bootstrapPlan({ suite: "trixie" }, defaults), "/t")).toEqual([
      "--variant=minbase",
      "--components=main",
      "--quiet",
      "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg",
      "--",
      "trixie",
      "/t",
      "http://deb.debian.org/debian",
    ]);
    expect(mmdebstrapArgs(bootstrapPlan({ suite: "noble" }, defaults), "/t")).toEqual([
      "--variant=minbase",
      "--components=main,universe",
      "--quiet",
      "--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg",
      "--",
      "noble",
      "/t",
      "http://archive.ubuntu.com/ubuntu",
    ]);
    expect(bootstrapPlan({ suite: "noble" }, defaults).keyringPackage).toBe("ubuntu-keyring");
  });

  it("let the settings override the profile and the spec override both", () => {
    const settings = { ...defaults, mirror: "http://mirror.example/debian", components: ["main", "contrib"] };
    expect(mmdebstrapArgs(bootstrapPlan({ suite: "bookworm" }, settings), "/t")).toEqual([
      "--variant=minbase",
      "--components=main,contrib",
      "--quiet",
      "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg",
      "--",
      "bookworm",
      "/t",
      "http://mirror.example/debian",
    ]);
    const plan = bootstrapPlan(
      {
        suite: "bookworm",
        mirror: "http://other.example/debian",
        components: ["main", "non-free"],
        variant: "apt",
        keyring: "/k.gpg",
        include: ["systemd-sysv"],
      },
      settings,
    );
    expect(plan.keyringPackage).toBeUndefined();
    expect(mmdebstrapArgs(plan, "/t")).toEqual([
      "--variant=apt",
      "--components=main,non-free",
      "--quiet",
      "--keyring=/k.gpg",
      "--include=systemd-sysv",
      "--",
      "bookworm",
      "/t",
      "http://other.example/debian",
    ]);
  });

  it("refuses a suite without a profile, naming the known ones", () => {
    expect(() => bootstrapPlan({ suite: "buster" }, defaults)).toThrow(
      expect.objectContaining({
        code: "SUITE_UNKNOWN",
        message: expect.stringContaining(
          "bookworm (Debian 12 (bookworm)), trixie (Debian 13 (trixie)), noble",
        ),
      }),
    );
  });

  it("refuses an option smuggled in as a package", () => {
    expect(() => bootstrapPlan({ suite: "bookworm", include: ["--hook-dir=/x"] }, defaults)).toThrow(
      expect.objectContaining({ code: "PACKAGE_NAME_INVALID" }),
    );
  });
});

describe("parseOsRelease", () => {
  it("unquotes values and ignores comments", () => {
    expect(
      parseOsRelease("# c\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID='12'\n"),
    ).toEqual({
      ID: "debian",
      PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)",
      VERSION_ID: "12",
    });
  });

  it("gives the os and suite labels of an image", () => {
    expect(osLabels({ ID: "debian", VERSION_CODENAME: "trixie" })).toEqual({
      "dev.particle.apt-layer.os": "debian",
      "dev.particle.apt-layer.suite": "trixie",
    });
    expect(osLabels({ ID: "debian" })).toEqual({ "dev.particle.apt-layer.os": "debian" });
  });
});
