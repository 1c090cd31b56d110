import { describe, expect, it } from "vitest";
import { parseGetfattr } from "../src/hygiene.js";

describe("parseGetfattr", () => {
  it("reads files and attribute names, unescaping octal in paths", () => {
    const text =
      '# file: /u\n trusted.overlay.uuid\ntrusted.overlay.impure\n\n# file: /u/a\\040b\ntrusted.overlay.opaque="y"\n';
    expect(parseGetfattr(text.replace("\n trusted", "\ntrusted"))).toEqual([
      { file: "/u", name: "trusted.overlay.uuid" },
      { file: "/u", name: "trusted.overlay.impure" },
      { file: "/u/a b", name: "trusted.overlay.opaque" },
    ]);
  });
});
