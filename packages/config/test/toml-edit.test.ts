import { describe, expect, it } from "vitest";
import { parseKey, setTomlValue, unsetTomlValue } from "../src/index.js";

const original = `# Particle-OS settings
# managed by hand

[paths]
store = "/srv/store" # big disk

[layer]
# squashfs is the default
format = "squashfs"
compression_level = 3

[registry]
insecure = [
  "a:5000",
  "b:5000",
]
`;

describe("setTomlValue", () => {
  it("replaces a value in place, keeping comments and order", () => {
    const out = setTomlValue(original, parseKey("layer.format"), "erofs");
    expect(out).toBe(original.replace('format = "squashfs"', 'format = "erofs"'));
  });

  it("keeps a trailing comment on the edited line", () => {
    const out = setTomlValue(original, parseKey("paths.store"), "/x");
    expect(out).toContain('store = "/x" # big disk');
  });

  it("replaces a value that spans several lines", () => {
    const out = setTomlValue(original, parseKey("registry.insecure"), ["c:1"]);
    expect(out).toContain('insecure = [ "c:1" ]');
    expect(out).not.toContain("a:5000");
    expect(out.startsWith("# Particle-OS settings\n# managed by hand\n")).toBe(true);
  });

  it("adds a missing key to its existing section", () => {
    const out = setTomlValue(original, parseKey("layer.compression"), "lz4");
    expect(out).toContain('compression_level = 3\ncompression = "lz4"\n\n[registry]');
  });

  it("adds a missing section at the end", () => {
    const out = setTomlValue(original, parseKey("logging.level"), "debug");
    expect(out.endsWith('\n[logging]\nlevel = "debug"\n')).toBe(true);
  });

  it("creates a file from nothing", () => {
    expect(setTomlValue("", parseKey("layer.format"), "erofs")).toBe('[layer]\nformat = "erofs"\n');
  });

  it("refuses a layout it cannot edit in place (dotted keys at the top level)", () => {
    expect(() => setTomlValue('layer.format = "squashfs"\n', parseKey("layer.format"), "erofs")).toThrow(
      /cannot be edited in place/,
    );
  });
});

describe("unsetTomlValue", () => {
  it("removes one key and nothing else", () => {
    const out = unsetTomlValue(original, parseKey("layer.compression_level"));
    expect(out).toBe(original.replace("compression_level = 3\n", ""));
  });

  it("removes a multi-line value whole", () => {
    const out = unsetTomlValue(original, parseKey("registry.insecure"));
    expect(out.trimEnd().endsWith("[registry]")).toBe(true);
  });

  it("leaves the text alone when the key is absent", () => {
    expect(unsetTomlValue(original, parseKey("logging.level"))).toBe(original);
  });
});
