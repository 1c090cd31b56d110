import { describe, expect, it } from "vitest";
import { packageNameOf, parseImageRef, validatePackageSpecs } from "../src/debian/names.js";

describe("package names", () => {
  it("accepts Debian names with an architecture or a version", () => {
    expect(
      validatePackageSpecs(["jq", "libc6:i386", "g++", "steam-installer=1:1.0.0.78-1", "libstdc++6"]),
    ).toHaveLength(5);
  });

  for (const bad of ["-oDpkg::Pre-Invoke=x", "Jq", "a", "../etc", "foo bar", "pkg;rm", ""]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(() => validatePackageSpecs([bad])).toThrow(
        expect.objectContaining({ code: "PACKAGE_NAME_INVALID" }),
      );
    });
  }

  it("strips architecture and version", () => {
    expect(packageNameOf("libc6:i386=2.36")).toBe("libc6");
  });
});

describe("image references", () => {
  it("reads the seed's NAME/TAG form", () => {
    expect(parseImageRef("ubuntu-base/24.04")).toEqual({ name: "ubuntu-base", tag: "24.04" });
  });
  it("reads NAME:TAG, tenant-qualified names and bare names", () => {
    expect(parseImageRef("gaming:24.04")).toEqual({ name: "gaming", tag: "24.04" });
    expect(parseImageRef("acme/desktop:1")).toEqual({ name: "acme/desktop", tag: "1" });
    expect(parseImageRef("debian")).toEqual({ name: "debian", tag: "latest" });
  });
  for (const bad of ["UPPER/1", "a b", "name:", ":tag", "name/../x:1", "-x"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(() => parseImageRef(bad)).toThrow(expect.objectContaining({ code: "IMAGE_REF_INVALID" }));
    });
  }
});
