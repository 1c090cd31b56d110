import { requireRoot, type VmResult } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { e2eMachine } from "./support/e2e-machine.js";

/**
 * The whole life of a machine, booted in QEMU (TCG, OVMF, GRUB from the image via bootupd): install
 * A to a raw disk; in the guest edit /etc, write /var, /home and /root and upgrade to B; reboot into
 * B; roll back to A; switch to a B whose init is broken and watch GRUB fall back to A after its
 * tries; cut the power at a random moment of an upgrade and boot A or B. The guest reports on its second serial port
 * (test/support/e2e-images.ts has the script it runs after each boot).
 */

const TRIES = 3;

beforeAll(() => requireRoot());

describe("booted in QEMU", () => {
  it("boot-upgrade-rollback-fallback: A, upgrade to B keeping /etc, /var, /home and /root, rollback, broken B falls back, power cut", async () => {
    const { deployment: a, boot, has } = await e2eMachine("bootc-e2e", { bootloader: "grub-efi" });

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
