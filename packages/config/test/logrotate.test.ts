import { describe, expect, it } from "vitest";
import { globToRegExp, parseRotatedName, rotationStamp, selectForDeletion } from "../src/index.js";

describe("log rotation logic", () => {
  it("matches globs in the file name only", () => {
    const re = globToRegExp("/var/log/particle/*.log");
    expect(re.test("/var/log/particle/particle.log")).toBe(true);
    expect(re.test("/var/log/particle/sub/x.log")).toBe(false);
    expect(re.test("/var/log/particle/particle.log.20261125T000000Z")).toBe(false);
  });

  it("stamps and parses rotated names", () => {
    const stamp = rotationStamp(new Date("2026-11-25T18:01:02.345Z"));
    expect(stamp).toBe("20261125T180102Z");
    expect(parseRotatedName(`particle.log.${stamp}.zst`)).toEqual({
      base: "particle.log",
      stamp,
      compressed: true,
    });
    expect(parseRotatedName(`particle.log.${stamp}-2`)).toEqual({
      base: "particle.log",
      stamp: `${stamp}-0002`,
      compressed: false,
    });
    expect(parseRotatedName("particle.log")).toBeUndefined();
  });

  it("keeps the newest N and drops those past the age limit", () => {
    const day = 86_400_000;
    const now = 100 * day;
    const files = [
      { name: "a", stamp: "20260101T000000Z", mtimeMs: now - 40 * day },
      { name: "b", stamp: "20260301T000000Z", mtimeMs: now - 2 * day },
      { name: "c", stamp: "20260201T000000Z", mtimeMs: now - 3 * day },
      { name: "d", stamp: "20260401T000000Z", mtimeMs: now - day },
    ];
    expect(selectForDeletion(files, 3, 30, now).sort()).toEqual(["a"]);
    expect(selectForDeletion(files, 2, 0, now).sort()).toEqual(["a", "c"]);
  });
});
