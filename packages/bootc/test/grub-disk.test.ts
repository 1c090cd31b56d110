import { describe, expect, it } from "vitest";
import { type BootEntrySet, diskScript, grubEntryId, grubRenderer } from "../src/index.js";

const entry = (deployment: string, version: string) => ({
  deployment,
  title: `Particle-OS ${version} (${deployment})`,
  kernel: "/particle/boot/kernels/abc/vmlinuz",
  initrd: "/particle/boot/kernels/abc/initrd.img",
  options: `root=UUID=1 ro particle.deployment=${deployment}`,
});

describe("GRUB menu of an entry set", () => {
  const set: BootEntrySet = {
    apiVersion: "particle.dev/v1",
    kind: "BootEntrySet",
    generation: 7,
    entries: [entry("default/bbb-0", "2"), entry("default/aaa-0", "1")],
    trial: { deployment: "default/bbb-0", tries: 3 },
  };

  it("boots the first entry by default, counts its tries and falls back to the second", () => {
    const files = grubRenderer()(set);
    const cfg = files["grub/grub.cfg"] as string;
    expect(cfg).toContain('set default="default-bbb-0"');
    expect(cfg.indexOf("--id 'default-bbb-0'")).toBeLessThan(cfg.indexOf("--id 'default-aaa-0'"));
    expect(cfg).toContain(
      "linux /particle/boot/kernels/abc/vmlinuz root=UUID=1 ro particle.deployment=default/bbb-0",
    );
    expect(cfg).toContain('set default="default-aaa-0"'); // the fallback when the counter is 0
    const env = files["grub/grubenv"] as string;
    expect(env).toHaveLength(1024);
    expect(env).toMatch(/^particle_tries_default_dbbb_d0=3$/m);
  });

  it("counts nothing once the default is known good", () => {
    const { trial: _trial, ...good } = set;
    const files = grubRenderer()(good);
    expect(files["grub/grubenv"]).not.toContain("particle_tries_");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GRUB's own ${var} syntax, not a template
    expect(files["grub/grub.cfg"]).not.toContain('save_env -f "${particle_env}" particle_tries_');
    expect(grubEntryId("default/bbb-0")).toBe("default-bbb-0");
  });
});

describe("disk layout", () => {
  it("puts a 1 MiB aligned ESP then the root in a GPT", () => {
    expect(diskScript({ espMiB: 64, rootMiB: 1024, rootUuid: "x" })).toBe(
      [
        "label: gpt",
        "unit: sectors",
        "first-lba: 2048",
        'start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"',
        'start=133120, size=2097152, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"',
        "",
      ].join("\n"),
    );
  });
});
