import { promises as fs } from "node:fs";
import path from "node:path";
import { sha256File, Transaction } from "@particle/runtime";
import { bootloaderImage, requireRoot } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bootloaderStatus,
  installBootloader,
  UPDATE_OP,
  updateBootloader,
  validateBootloader,
} from "../src/index.js";
import { statePaths } from "../src/target.js";
import { scratchEsp } from "./fixtures.js";

let image: string;
beforeAll(async () => {
  requireRoot();
  image = await bootloaderImage();
});

async function installedEsp(name: string) {
  const esp = await scratchEsp(name);
  const target = { esp, boot: esp };
  await installBootloader(target, { backend: "systemd-boot", source: image });
  return target;
}

describe("ESP directory updates", () => {
  it("finishes-a-swap-cut-between-its-two-renames", async () => {
    const target = await installedEsp("swap-window");
    const dir = path.join(target.esp, "EFI/systemd");
    const newBinary = Buffer.concat([
      await fs.readFile(path.join(dir, "systemd-bootx64.efi")),
      Buffer.alloc(512),
    ]);
    // The state a kill between `rename(live, .old)` and `rename(.new, live)` leaves: no EFI/systemd.
    const tx = await Transaction.begin(statePaths(target).journal, UPDATE_OP, {
      dirs: [{ root: "esp", path: "EFI/systemd" }],
    });
    await fs.mkdir(path.join(target.esp, "EFI/.systemd.new"));
    await fs.writeFile(path.join(target.esp, "EFI/.systemd.new/systemd-bootx64.efi"), newBinary);
    await tx.step("stage:esp:EFI/systemd");
    await fs.rename(dir, path.join(target.esp, "EFI/.systemd.old"));

    const status = await bootloaderStatus(target, { source: image });
    expect(status.interrupted.map((t) => t.steps)).toEqual([["stage:esp:EFI/systemd"]]);

    const report = await updateBootloader(target, { source: image });
    expect(report.recovered).toEqual([tx.id]);
    // Recovery completed the swap (new binary in place); the update then brought it back to the image's version.
    expect(report.changed).toEqual(["esp:EFI/systemd"]);
    expect(await fs.readdir(path.join(target.esp, "EFI"))).toEqual(["BOOT", "systemd"]);
    expect((await validateBootloader(target)).valid).toBe(true);
    expect((await bootloaderStatus(target, { source: image })).interrupted).toEqual([]);
  });

  it("drops-a-staged-copy-that-was-never-swapped-in", async () => {
    const target = await installedEsp("staged-only");
    const before = await sha256File(path.join(target.esp, "EFI/systemd/systemd-bootx64.efi"));
    // Killed while staging: the journal names the directory, its copy is half written.
    await Transaction.begin(statePaths(target).journal, UPDATE_OP, {
      dirs: [{ root: "esp", path: "EFI/systemd" }],
    });
    await fs.mkdir(path.join(target.esp, "EFI/.systemd.new"));
    await fs.writeFile(path.join(target.esp, "EFI/.systemd.new/half-written.efi"), "x");
    const report = await updateBootloader(target, { source: image });
    expect(report.recovered).toHaveLength(1);
    expect(report.changed).toEqual([]);
    expect(await fs.readdir(path.join(target.esp, "EFI"))).toEqual(["BOOT", "systemd"]);
    expect(await sha256File(path.join(target.esp, "EFI/systemd/systemd-bootx64.efi"))).toBe(before);
  });

  it("validate-reports-changed-missing-and-extra-files", async () => {
    const target = await installedEsp("validate");
    expect(await validateBootloader(target)).toEqual({ valid: true, checked: 2, problems: [] });
    await fs.writeFile(path.join(target.esp, "EFI/BOOT/BOOTX64.EFI"), "tampered");
    await fs.rm(path.join(target.esp, "EFI/systemd/systemd-bootx64.efi"));
    await fs.writeFile(path.join(target.esp, "EFI/systemd/stray.efi"), "stray");
    const report = await validateBootloader(target);
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => [p.problem, p.path])).toEqual([
      ["changed", "esp:EFI/BOOT/BOOTX64.EFI"],
      ["missing", "esp:EFI/systemd/systemd-bootx64.efi"],
      ["extra", "esp:EFI/systemd/stray.efi"],
    ]);
  });
});
