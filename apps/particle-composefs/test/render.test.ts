import { isParticleError } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { nonNegative } from "../src/open.js";
import { imageTable } from "../src/render.js";

describe("cli helpers", () => {
  it("image-table-aligns-columns-and-says-when-empty", () => {
    expect(imageTable([])).toBe("no images");
    const digest = `sha256:${"ab".repeat(32)}`;
    const text = imageTable([
      {
        ref: "os:1",
        name: "os",
        tag: "1",
        manifestDigest: digest,
        created: "2024-01-01T00:00:00Z",
        layers: 2,
        size: 2048,
      },
    ]);
    expect(text.split("\n")).toEqual([
      "IMAGE  DIGEST        LAYERS  SIZE     CREATED",
      "os:1   abababababab  2       2.0 KiB  2024-01-01T00:00:00Z",
    ]);
  });

  it("numbers-must-be-non-negative", () => {
    expect(nonNegative("1.5", "--min-age")).toBe(1.5);
    for (const bad of ["-1", "abc", "", "1e3"]) {
      let error: unknown;
      try {
        nonNegative(bad, "--min-age");
      } catch (e) {
        error = e;
      }
      expect(isParticleError(error, "USAGE")).toBe(true);
    }
  });
});
