import { describe, expect, it } from "vitest";
import { compareDebianVersions, parseDebianVersion } from "../src/debian/version.js";

const sign = (n: number) => Math.sign(n);

describe("compareDebianVersions follows dpkg", () => {
  // Pairs from dpkg's own test suite (t-version.c) and Debian policy 5.6.12.
  const cases: [string, string, -1 | 0 | 1][] = [
    ["1.0", "1.0", 0],
    ["1.0", "1.1", -1],
    ["1.10", "1.9", 1],
    ["1.0~rc1", "1.0", -1],
    ["1.0~rc1", "1.0~rc2", -1],
    ["1.0~~", "1.0~", -1],
    ["1.0~", "1.0", -1],
    ["1.0", "1.0+b1", -1],
    ["1.0-1", "1.0-1+b1", -1],
    ["1:0.9", "2.0", 1],
    ["0:1.0", "1.0", 0],
    ["1.0-1", "1.0-2", -1],
    ["1.0-10", "1.0-9", 1],
    ["1.0a", "1.0", 1],
    ["1.0a", "1.0-", 1],
    ["1.0", "1.0.0", -1],
    ["2.36-9+deb12u4", "2.36-9+deb12u10", -1],
    ["5.2.15-2+b2", "5.2.15-2+b10", -1],
    ["1.0-0ubuntu1", "1.0-0ubuntu1.1", -1],
    ["a", "B", 1],
    ["1.0+dfsg", "1.0.dfsg", -1],
    ["00001", "1", 0],
    ["1.2-3-4", "1.2-3-5", -1],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} ${expected < 0 ? "<" : expected > 0 ? ">" : "="} ${b}`, () => {
      expect(sign(compareDebianVersions(a, b))).toBe(expected);
      expect(sign(compareDebianVersions(b, a))).toBe(-expected || 0);
    });
  }

  it("splits epoch, upstream and the revision after the last hyphen", () => {
    expect(parseDebianVersion("2:1.2-3-4")).toEqual({ epoch: 2, upstream: "1.2-3", revision: "4" });
    expect(parseDebianVersion("1.0")).toEqual({ epoch: 0, upstream: "1.0", revision: "" });
  });

  it("sorts a list the way dpkg does", () => {
    const sorted = ["1.0", "1.0~rc1", "1:0.1", "1.0-1", "0.9", "1.0+b1"].sort(compareDebianVersions);
    expect(sorted).toEqual(["0.9", "1.0~rc1", "1.0", "1.0-1", "1.0+b1", "1:0.1"]);
  });
});
