import { describe, expect, it } from "vitest";
import { mmdebstrapArgs } from "../src/build/bootstrap.js";
import { parseOsRelease } from "../src/debian/os-release.js";

const defaults = {
  mirror: "http://deb.debian.org/debian",
  components: ["main"],
  variant: "minbase" as const,
  keyring: "",
};

describe("mmdebstrap arguments", () => {
  it("takes settings defaults and lets the spec override them", () => {
    expect(mmdebstrapArgs({ suite: "bookworm" }, defaults, "/t")).toEqual([
      "--variant=minbase",
      "--components=main",
      "--quiet",
      "--",
      "bookworm",
      "/t",
      "http://deb.debian.org/debian",
    ]);
    expect(
      mmdebstrapArgs(
        {
          suite: "noble",
          mirror: "http://archive.ubuntu.com/ubuntu",
          components: ["main", "universe"],
          keyring: "/k.gpg",
          include: ["systemd-sysv"],
        },
        defaults,
        "/t",
      ),
    ).toEqual([
      "--variant=minbase",
      "--components=main,universe",
      "--quiet",
      "--keyring=/k.gpg",
      "--include=systemd-sysv",
      "--",
      "noble",
      "/t",
      "http://archive.ubuntu.com/ubuntu",
    ]);
  });

  it("refuses an option smuggled in as a package", () => {
    expect(() => mmdebstrapArgs({ suite: "bookworm", include: ["--hook-dir=/x"] }, defaults, "/t")).toThrow(
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
});
