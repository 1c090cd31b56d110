import path from "node:path";
import { listFat, readPartitions } from "@particle/runtime";
import { requireRoot, type VmResult } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { e2eMachine } from "./support/e2e-machine.js";

/**
 * The life of a machine that boots with systemd-boot (installed from the image by bootupd), booted
 * in QEMU (TCG, OVMF): A boots; in the guest `upgrade` stages B, finalized at shutdown onto the ESP;
 * B boots; `rollback`; A boots; a B whose init exits is tried 3 times by systemd-boot's own counter,
 * then A boots and becomes the default again; the power is cut at a random moment of a `switch --apply`,
 * which writes the ESP, and A or B boots. The guest runs the step script of
 * test/support/e2e-images.ts after each boot and reports on its second serial port.
 */

const TRIES = 3;

beforeAll(() => requireRoot());

describe("booted in QEMU with systemd-boot", () => {
  it("systemd-boot-upgrade-rollback-fallback: A, upgrade to B, rollback to A, a broken B falls back to A", async () => {
    const {
      disk,
      deployment: a,
      boot,
      has,
    } = await e2eMachine("bootc-sdboot-e2e", {
      bootloader: "systemd-boot",
      bootEntries: "systemd-boot",
      espMiB: 128,
    });
    const [esp] = await readPartitions(disk);
    const espFiles = async () => listFat(disk, esp as NonNullable<typeof esp>);
    const entryFiles = async () =>
      (await espFiles()).filter((f) => f.startsWith("loader/entries/")).map((f) => path.basename(f));
    const files = await espFiles();
    expect(files).toContain("EFI/BOOT/BOOTX64.EFI");
    expect(files).toContain("loader/loader.conf");
    expect(await entryFiles()).toEqual([`particle-1-${a.replace("/", "-")}.conf`]);

    // A boots from systemd-boot; the guest stages B, finalized onto the ESP at shutdown.
    const first = await boot();
    has(first, `boot step=0 deployment=${a} image=1`, "dpkg=1", "usr=ro", "etc=rw", "upgrade=0");
    has(first, "status-after-upgrade booted=1 default=1 rollback=none staged=2");
    // Set 2 on the ESP: B on trial with all its tries, A (the booted one) as its fallback.
    const trial = (await entryFiles()).sort();
    expect(trial).toHaveLength(2);
    expect(trial).toContain(`particle-2-${a.replace("/", "-")}.conf`);
    expect(
      trial.filter((f) => new RegExp(`^particle-2-default-[0-9a-f]{12}-0\\+${TRIES}\\.conf$`).test(f)),
    ).toHaveLength(1);

    // B: systemd-boot chose the new set's default; it marked itself good, then rolled back.
    const second = await boot();
    has(second, "dpkg=2", "etc-local=local-edit", "var-data=kept", "rollback=0");
    has(second, "status booted=2 default=2 rollback=1 staged=none");
    const entries = await entryFiles();
    expect(
      entries.every((f) => !f.includes("+")),
      entries.join("\n"),
    ).toBe(true);

    // Rolled back to A.
    const third = await boot();
    has(third, `boot step=2 deployment=${a} image=1`, "dpkg=1", "etc-local=local-edit", "switch=0");

    // A B whose init exits: systemd-boot counts its tries down on the ESP, then boots A again.
    let broken = 0;
    let back: VmResult | undefined;
    for (let i = 0; i <= TRIES && back === undefined; i++) {
      const r = await boot();
      if (r.markers.some((m) => m.includes("boot step=3"))) back = r;
      else {
        broken++;
        // systemd-boot renamed the trial's file before booting it: +LEFT-DONE.
        const counted = (await entryFiles()).filter((f) => f.includes("+"));
        expect(counted, counted.join("\n")).toEqual([
          expect.stringMatching(new RegExp(`\\+${TRIES - broken}-${broken}\\.conf$`)),
        ]);
      }
    }
    expect(broken).toBe(TRIES);
    expect(back).toBeDefined();
    has(back as VmResult, "status booted=1 default=1 rollback=3 staged=none");

    // Power cut at a random moment of a `switch --apply` writing the ESP: A or B boots, complete.
    expect((back as VmResult).markers).toContain("PARTICLE-MARKER kill-now");
    const after = await boot();
    const line = after.markers.find((m) => m.includes("boot step=4"));
    expect(line, after.serialLog.slice(-3000)).toMatch(/image=(1|2)$/);
    has(after, `dpkg=${line?.endsWith("image=2") ? "2" : "1"}`, "etc=rw", "final");
  }, 2_400_000); // 8 boots under TCG: up to 40 minutes on a loaded 2-core machine
});
