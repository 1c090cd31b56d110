import { describe, expect, it } from "vitest";
import { bootedDeployment, commandLine, editKargs, parseKargs } from "../src/index.js";

const base = ["root=UUID=1", "ro", "console=ttyS0", "console=tty0", "quiet"];

describe("editKargs", () => {
  it("appends once", () => {
    expect(editKargs(base, { append: ["nosmt", "quiet"] })).toEqual([...base, "nosmt"]);
  });
  it("deletes every value of a bare name, or one exact NAME=VALUE", () => {
    expect(editKargs(base, { delete: ["console"] })).toEqual(["root=UUID=1", "ro", "quiet"]);
    expect(editKargs(base, { delete: ["console=tty0"] })).toEqual([
      "root=UUID=1",
      "ro",
      "console=ttyS0",
      "quiet",
    ]);
  });
  it("replaces all values of a name in place, or one value with NAME=OLD=NEW", () => {
    expect(editKargs(base, { replace: ["console=hvc0"] })).toEqual([
      "root=UUID=1",
      "ro",
      "console=hvc0",
      "quiet",
    ]);
    expect(editKargs(base, { replace: ["console=tty0=tty1"] })).toEqual([
      "root=UUID=1",
      "ro",
      "console=ttyS0",
      "console=tty1",
      "quiet",
    ]);
  });
  it("rejects unknown deletes, spaces, quotes and the managed particle.deployment", () => {
    expect(() => editKargs(base, { delete: ["nosuch"] })).toThrow(
      expect.objectContaining({ code: "KARG_NOT_FOUND" }),
    );
    expect(() => editKargs(base, { append: ["a b"] })).toThrow(
      expect.objectContaining({ code: "KARG_INVALID" }),
    );
    expect(() => editKargs(base, { append: ['x="y"'] })).toThrow(
      expect.objectContaining({ code: "KARG_INVALID" }),
    );
    expect(() => editKargs(base, { append: ["particle.deployment=x/y"] })).toThrow(
      expect.objectContaining({ code: "KARG_INVALID" }),
    );
    expect(() => editKargs(base, { replace: ["quiet"] })).toThrow(
      expect.objectContaining({ code: "KARG_INVALID" }),
    );
  });
});

describe("command lines", () => {
  it("ends with the deployment, which the boot script and status read back", () => {
    const line = commandLine("default/abc-0", ["root=UUID=1", "ro"]);
    expect(line).toBe("root=UUID=1 ro particle.deployment=default/abc-0");
    expect(bootedDeployment(`BOOT_IMAGE=/x ${line}\n`)).toBe("default/abc-0");
    expect(bootedDeployment("root=/dev/vda1 ro")).toBeUndefined();
    expect(parseKargs("  a  b\n")).toEqual(["a", "b"]);
  });
});
