import { isParticleError } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { parseRef, parseTagRef } from "../src/index.js";

describe("parseRef", () => {
  it("reads-names-tags-and-digests", () => {
    expect(parseRef("base")).toEqual({ kind: "tag", name: "base", tag: "latest" });
    expect(parseRef("particle/base:2024.06-1")).toEqual({
      kind: "tag",
      name: "particle/base",
      tag: "2024.06-1",
    });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseRef(digest)).toEqual({ kind: "digest", digest });
  });

  it.each(["", "Base", "base:", "base:-x", "a//b", "sha256:abc", `base:${"x".repeat(129)}`, "base name"])(
    "rejects-%j-with-IMAGE_REF_INVALID",
    (ref) => {
      let error: unknown;
      try {
        parseRef(ref);
      } catch (e) {
        error = e;
      }
      expect(isParticleError(error, "IMAGE_REF_INVALID")).toBe(true);
    },
  );

  it("parseTagRef-refuses-a-digest", () => {
    expect(() => parseTagRef(`sha256:${"b".repeat(64)}`)).toThrow(/tag is needed/);
  });
});
