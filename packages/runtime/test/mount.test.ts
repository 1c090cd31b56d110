import { describe, expect, it } from "vitest";
import { parseFailpoints, parseMountInfo } from "../src/index.js";

describe("parseMountInfo", () => {
  it("parses fields and unescapes octal escapes", () => {
    const text = [
      "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw",
      "98 22 7:0 / /var/tmp/a\\040b ro,relatime shared:5 - squashfs /dev/loop0 ro",
      "99 22 0:50 / /mnt/o rw master:2 - overlay overlay rw,lowerdir=/a:/b",
    ].join("\n");
    const entries = parseMountInfo(text);
    expect(entries).toHaveLength(3);
    expect(entries[1]).toMatchObject({
      id: 98,
      parentId: 22,
      mountPoint: "/var/tmp/a b",
      fsType: "squashfs",
      source: "/dev/loop0",
    });
    expect(entries[2]).toMatchObject({ fsType: "overlay", superOptions: "rw,lowerdir=/a:/b" });
  });
});

describe("parseFailpoints", () => {
  it("defaults to kill and accepts error", () => {
    expect([...parseFailpoints("a/b, c=error,d=kill")]).toEqual([
      ["a/b", "kill"],
      ["c", "error"],
      ["d", "kill"],
    ]);
  });

  it("rejects unknown actions", () => {
    expect(() => parseFailpoints("a=explode")).toThrow(/unknown action "explode"/);
  });
});
