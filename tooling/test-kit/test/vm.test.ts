import { sfdiskScript } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { encodeCpio, qemuArgs } from "../src/index.js";

describe("encodeCpio", () => {
  it("writes-newc-headers-device-nodes-and-the-trailer", () => {
    const cpio = encodeCpio([
      { path: "dev", type: "dir" },
      { path: "dev/ttyS1", type: "char", major: 4, minor: 65 },
      { path: "init", type: "file", data: "#!/bin/sh\n", mode: 0o755 },
    ]);
    const text = cpio.toString("latin1");
    expect(text.startsWith("070701")).toBe(true);
    // mode of the char device (020600), then rdevmajor 4 / rdevminor 0x41.
    const dev = text.indexOf("dev/ttyS1");
    const header = text.slice(dev - 110, dev);
    expect(header.slice(14, 22)).toBe((0o020600).toString(16).padStart(8, "0"));
    expect(header.slice(78, 86)).toBe("00000004");
    expect(header.slice(86, 94)).toBe("00000041");
    expect(text).toContain("#!/bin/sh\n");
    expect(text).toContain("TRAILER!!!");
    expect(cpio.length % 4).toBe(0);
  });
});

describe("sfdiskScript", () => {
  it("lays-partitions-out-from-1-MiB-with-types-and-attributes", () => {
    expect(
      sfdiskScript([
        { sizeMiB: 1, type: "bios-boot" },
        { sizeMiB: 64, type: "linux", name: "boot", legacyBootable: true },
      ]),
    ).toBe(
      [
        "label: gpt",
        "unit: sectors",
        "first-lba: 2048",
        "start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649",
        'start=4096, size=131072, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="boot", attrs="LegacyBIOSBootable"',
        "",
      ].join("\n"),
    );
  });
});

describe("qemuArgs", () => {
  const files = { vars: "/w/vars.fd", console: "/w/console.log", marker: "/w/marker.log" };

  it("enables-smm-and-secure-pflash-for-secure-boot", () => {
    const args = qemuArgs({ firmware: "uefi-secureboot", disk: "/w/disk.img", workDir: "/w" }, files).join(
      " ",
    );
    expect(args).toContain("-machine q35,smm=on");
    expect(args).toContain("-global driver=cfi.pflash01,property=secure,value=on");
    expect(args).toContain("OVMF_CODE_4M.secboot.fd");
    expect(args).toContain("file=/w/vars.fd");
    expect(args).toContain("-smp 2");
    expect(args).toContain("-chardev file,id=marker,path=/w/marker.log -serial chardev:marker");
  });

  it("uses-seabios-without-pflash-and-boots-a-kernel-directly", () => {
    const args = qemuArgs(
      { firmware: "bios", kernel: "/k", initrd: "/i", append: "console=ttyS0", workDir: "/w" },
      files,
    );
    expect(args.join(" ")).not.toContain("pflash");
    expect(args).toEqual(
      expect.arrayContaining(["-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0", "-no-reboot"]),
    );
  });
});
