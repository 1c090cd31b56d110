import { promises as fs } from "node:fs";
import path from "node:path";
import { parseDpkgStatus } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { mbrCoreSector, nextCoreSlot, patchBootImage, patchCoreImage } from "../src/bios-boot-code.js";
import { selectVersions } from "../src/dpkg.js";
import { isUpdateAvailable, parseBootEntriesDocument } from "../src/index.js";
import { parseState } from "../src/state.js";
import { resolveKey } from "../src/target.js";

describe("dpkg status", () => {
  it("reads-installed-versions-only", () => {
    const text = [
      "Package: shim-signed",
      "Status: install ok installed",
      "Architecture: amd64",
      "Version: 1.51~1+deb12u1",
      "",
      "Package: lilo",
      "Status: deinstall ok config-files",
      "Version: 1:24.2-5",
      "",
    ].join("\n");
    expect(selectVersions(parseDpkgStatus(text), ["shim-signed", "shim-signed:amd64", "lilo"])).toEqual({
      "shim-signed": "1.51~1+deb12u1",
      "shim-signed:amd64": "1.51~1+deb12u1",
    });
  });

  it("reports-an-update-when-the-image-carries-another-version", () => {
    expect(isUpdateAvailable({ a: "1" }, { a: "1" })).toBe(false);
    expect(isUpdateAvailable({ a: "1" }, { a: "2" })).toBe(true);
    expect(isUpdateAvailable({ a: "1" }, {})).toBe(false);
  });
});

describe("BIOS boot code", () => {
  const bootImg = Buffer.alloc(512, 0xaa);
  const mbr = Buffer.alloc(512, 0);
  mbr.fill(0x11, 0x1b8, 0x1fe);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;

  it("keeps-the-partition-table-and-points-boot-img-at-core", () => {
    const out = patchBootImage(bootImg, mbr, 2048n);
    expect(mbrCoreSector(out)).toBe(2048n);
    expect(out.subarray(0x1b8)).toEqual(mbr.subarray(0x1b8));
    expect(out.subarray(3, 0x5a)).toEqual(mbr.subarray(3, 0x5a));
    expect([out[0x66], out[0x67]]).toEqual([0x90, 0x90]);
  });

  it("patches-the-diskboot-block-list", () => {
    const core = Buffer.alloc(1500);
    core.writeUInt16LE(0x820, 512 - 2);
    const out = patchCoreImage(core, 3072n);
    expect(out.length).toBe(1536);
    expect(out.readBigUInt64LE(500)).toBe(3073n);
    expect(out.readUInt16LE(508)).toBe(2);
    expect(() => patchCoreImage(Buffer.alloc(512), 1n)).toThrow(/diskboot/);
    expect(() => patchCoreImage(Buffer.alloc(512), 1n)).toThrow(
      expect.objectContaining({ code: "GRUB_IMAGE_INVALID", exitCode: 4 }),
    );
    expect(() => patchBootImage(Buffer.alloc(440), Buffer.alloc(512), 1n)).toThrow(
      expect.objectContaining({ code: "GRUB_IMAGE_INVALID" }),
    );
  });

  it("alternates-core-slots-so-the-old-core-stays-whole", () => {
    expect(nextCoreSlot(2048n, 2048n, 0n)).toBe(2048n);
    expect(nextCoreSlot(2048n, 2048n, 2048n)).toBe(3072n);
    expect(nextCoreSlot(2048n, 2048n, 3072n)).toBe(2048n);
  });
});

describe("state file", () => {
  it("refuses-a-corrupt-state-with-an-integrity-error", () => {
    expect(() => parseState("{", "/boot/particle-bootupd/state.json")).toThrow(/not valid/);
    expect(() =>
      parseState('{"apiVersion":"particle.dev/v1","kind":"BootupState","components":{"grub9":{}}}', "s.json"),
    ).toThrow(expect.objectContaining({ code: "BOOTUPD_STATE_INVALID", exitCode: 6 }));
  });
});

describe("state file fixtures", () => {
  it("reads-the-v1-state-written-by-an-install", async () => {
    const file = path.join(__dirname, "fixtures/state-v1-systemd-boot.json");
    const state = parseState(await fs.readFile(file, "utf8"), file);
    expect(state.components["systemd-boot"]?.dirs).toEqual(["esp:EFI/BOOT", "esp:EFI/systemd"]);
    expect(Object.keys(state.components["systemd-boot"]?.files ?? {})).toEqual([
      "esp:EFI/BOOT/BOOTX64.EFI",
      "esp:EFI/systemd/systemd-bootx64.efi",
    ]);
  });
});

describe("BootEntries documents", () => {
  it("parses-a-document-and-refuses-bad-ones-naming-the-file", () => {
    const doc = {
      apiVersion: "particle.dev/v1",
      kind: "BootEntries",
      menu: { default: "a" },
      entries: [{ id: "a", title: "A", kernel: "/a/vmlinuz" }],
    };
    expect(parseBootEntriesDocument(JSON.stringify(doc), "menu.json").menu).toEqual({
      default: "a",
      timeout: 1,
      serial: false,
    });
    expect(() => parseBootEntriesDocument("{", "menu.json")).toThrow(/menu.json is not JSON/);
    expect(() => parseBootEntriesDocument(JSON.stringify({ ...doc, entries: [] }), "menu.json")).toThrow(
      expect.objectContaining({ code: "BOOT_ENTRIES_INVALID", context: { path: "menu.json" } }),
    );
  });
});

describe("targets", () => {
  it("asks-for-esp-when-a-recorded-esp-file-is-resolved-without-one", () => {
    expect(resolveKey({ esp: "/efi", boot: "/boot" }, "esp:EFI/BOOT/BOOTX64.EFI")).toBe(
      "/efi/EFI/BOOT/BOOTX64.EFI",
    );
    expect(() => resolveKey({ boot: "/boot" }, "esp:EFI/BOOT/BOOTX64.EFI")).toThrow(
      expect.objectContaining({ code: "TARGET_INCOMPLETE", exitCode: 2, message: "this target needs --esp" }),
    );
  });
});
