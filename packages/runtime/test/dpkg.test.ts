import { describe, expect, it } from "vitest";
import { parseDeb822, parseDpkgStatus } from "../src/dpkg.js";

const STATUS = `Package: zlib1g
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1
Installed-Size: 168
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.

Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Maintainer: Matthias Klose <doko@debian.org>

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9+deb12u4
Source: glibc

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u4
Source: glibc
`;

describe("parseDpkgStatus", () => {
  it("lists installed packages sorted, skipping config-files leftovers", () => {
    const packages = parseDpkgStatus(STATUS);
    expect(packages.map((p) => `${p.name}:${p.architecture}=${p.version}`)).toEqual([
      "bash:amd64=5.2.15-2+b2",
      "libc6:amd64=2.36-9+deb12u4",
      "libc6:i386=2.36-9+deb12u4",
      "zlib1g:amd64=1:1.2.13.dfsg-1",
    ]);
  });

  it("reads source name and version, size and maintainer", () => {
    const zlib = parseDpkgStatus(STATUS).find((p) => p.name === "zlib1g");
    expect(zlib).toMatchObject({ source: "zlib", sourceVersion: "1:1.2.13.dfsg-1", installedSize: 168 });
    expect(parseDpkgStatus(STATUS).find((p) => p.name === "bash")?.maintainer).toBe(
      "Matthias Klose <doko@debian.org>",
    );
  });

  it("keeps continuation lines of multi-line fields", () => {
    expect(parseDeb822(STATUS)[0]?.Description).toBe(
      "compression library - runtime\nzlib is a library implementing the deflate compression method found\nin gzip and PKZIP.",
    );
  });

  it("returns nothing for an empty database", () => {
    expect(parseDpkgStatus("")).toEqual([]);
  });
});
