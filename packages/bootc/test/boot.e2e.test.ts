import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { bootVm, requireRoot, scratchDir, type VmResult } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { bootupdInstaller, installToDisk, ociImporter } from "../src/index.js";
import { buildE2eImages, GUEST_REFERENCE } from "./support/e2e-images.js";

/**
 * The whole life of a machine, booted in QEMU (TCG, OVMF, GRUB from the image via bootupd): install
 * A to a raw disk; in the guest edit /etc, write /var, /home and /root and upgrade to B; reboot into
 * B; roll back to A; switch to a B whose init is broken and watch GRUB fall back to A after its
 * tries; cut the power at a random moment of an upgrade and boot A or B. The guest reports on its second serial port
 * (test/support/e2e-images.ts has the script it runs after each boot).
 */

const BUILD_DEB = path.resolve(import.meta.dirname, "../../../packaging/deb/build-deb.mjs");
const TRIES = 3;

beforeAll(() => requireRoot());

describe("booted in QEMU", () => {
  it("boot-upgrade-rollback-fallback: A, upgrade to B keeping /etc, /var, /home and /root, rollback, broken B falls back, power cut", async () => {
    const dir = await scratchDir("bootc-e2e");
    const deb = (await run("node", [BUILD_DEB, "--out", path.join(dir, "deb")])).stdout.trim();
    const store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    const images = await buildE2eImages(store, path.join(dir, "build"), deb);
    const disk = path.join(dir, "disk.img");
    const installed = await installToDisk(disk, {
      reference: images.hostReference,
      trackedReference: GUEST_REFERENCE,
      importer: ociImporter({ workDir: path.join(dir, "import"), authFile: path.join(dir, "no-auth.json") }),
      bootloader: bootupdInstaller("grub-efi"),
      kargs: ["console=ttyS0,115200"],
      rootMiB: 2048,
      storeRunDir: path.join(dir, "run"),
    });
    const a = installed.deployment;

    let n = 0;
    const boot = async (until = /PARTICLE-MARKER (kill-now|final)/): Promise<VmResult> => {
      const result = await bootVm({
        firmware: "uefi",
        disk,
        workDir: path.join(dir, `boot-${n++}`),
        until,
        timeoutMs: 600_000,
        memoryMiB: 1024,
      });
      // PARTICLE_TEST_LOGS=DIR keeps every boot's serial logs for a person to read.
      const keep = process.env.PARTICLE_TEST_LOGS;
      if (keep)
        await fs.cp(path.join(dir, `boot-${n - 1}`), path.join(keep, `boot-${n - 1}`), { recursive: true });
      expect(result.timedOut, result.serialLog.slice(-3000)).toBe(false);
      return result;
    };
    const has = (r: VmResult, ...lines: string[]) => {
      for (const line of lines)
        expect(r.markers, `${r.markers.join("\n")}\n${r.serialLog.slice(-2000)}`).toContain(
          `PARTICLE-MARKER ${line}`,
        );
    };

    // A: read-only image, writable /etc, its own package database; then the upgrade is staged.
    const first = await boot();
    has(
      first,
      `boot step=0 deployment=${a} image=1`,
      "dpkg=1",
      "usr=ro",
      "root=ro",
      "etc=rw",
      "home=rw",
      "upgrade=0",
    );
    has(
      first,
      "status booted=1 default=1 rollback=none staged=none",
      "status-after-upgrade booted=1 default=1 rollback=none staged=2",
    );

    // B (finalized at shutdown): the local /etc edit, the /var data and the files in /home and /root
    // (which live in /var) survived; /home is writable, /usr is not.
    const second = await boot();
    has(
      second,
      "dpkg=2",
      "etc-local=local-edit",
      "var-data=kept",
      "home-data=kept root-data=kept",
      "usr=ro",
      "home=rw",
      "etc=rw",
      "rollback=0",
    );
    has(second, "status booted=2 default=2 rollback=1 staged=none");
    expect(second.markers.find((m) => m.includes("boot step=1"))).toMatch(/image=2$/);

    // Rolled back to A; A still has the edits it had, and the same /home and /root.
    const third = await boot();
    has(
      third,
      `boot step=2 deployment=${a} image=1`,
      "dpkg=1",
      "etc-local=local-edit",
      "var-data=kept",
      "home-data=kept root-data=kept",
      "usr=ro",
      "home=rw",
      "switch=0",
    );

    // A B that cannot boot: GRUB tries it TRIES times, then boots A, which becomes the default again.
    let broken = 0;
    let back: VmResult | undefined;
    for (let i = 0; i <= TRIES && back === undefined; i++) {
      const r = await boot();
      if (r.markers.some((m) => m.includes("boot step=3"))) back = r;
      else broken++;
    }
    expect(broken).toBe(TRIES);
    expect(back).toBeDefined();
    has(back as VmResult, "status booted=1 default=1 rollback=3 staged=none");

    // Power cut at a random moment of an upgrade that switches at once: A or B boots, complete.
    expect((back as VmResult).markers).toContain("PARTICLE-MARKER kill-now");
    const after = await boot();
    const line = after.markers.find((m) => m.includes("boot step=4"));
    expect(line, after.serialLog.slice(-3000)).toMatch(/image=(1|2)$/);
    const version = line?.endsWith("image=2") ? "2" : "1";
    has(after, `dpkg=${version}`, "etc=rw", "final");
  }, 2_400_000); // about 9 boots under TCG: up to 40 minutes on a loaded 2-core machine
});
