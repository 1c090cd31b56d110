import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  blsEntryId,
  blsFilesFor,
  newFileName,
  planEspFinish,
  renderSystemdBootLoaderConf,
} from "../src/boot/systemd-boot-entries.js";
import { parseLoaderDevicePartUuid } from "../src/boot/systemd-boot-host.js";
import { type BootEntrySet, SysrootBootloader } from "../src/index.js";
import { deploymentOf, nextBoot, tryBoot } from "./support/systemd-boot-world.js";

const entry = (deployment: string, sum = "k1") => ({
  deployment,
  title: `Particle-OS (${deployment})`,
  kernel: `/particle/boot/kernels/${sum}/vmlinuz`,
  initrd: `/particle/boot/kernels/${sum}/initrd.img`,
  options: `root=UUID=x ro particle.deployment=${deployment}`,
});

const set = (generation: number, deployments: string[], trial?: string): BootEntrySet => ({
  apiVersion: "particle.dev/v1",
  kind: "BootEntrySet",
  generation,
  entries: deployments.map((d) => entry(d)),
  ...(trial ? { trial: { deployment: trial, tries: 3 } } : {}),
});

describe("systemd-boot entry files (pure)", () => {
  it("names each entry by generation and deployment; only the trial is counted", () => {
    const files = blsFilesFor(set(7, ["default/b-0", "default/a-0"], "default/b-0"));
    expect(files.map((f) => f.id)).toEqual(["particle-7-default-b-0", "particle-7-default-a-0"]);
    expect(files.map(newFileName)).toEqual(["particle-7-default-b-0+3.conf", "particle-7-default-a-0.conf"]);
    expect(files[0]?.text).toBe(
      [
        "title Particle-OS (default/b-0)",
        "sort-key particle-0",
        "version 7.2",
        "linux /particle/boot/kernels/k1/vmlinuz",
        "initrd /particle/boot/kernels/k1/initrd.img",
        "options root=UUID=x ro particle.deployment=default/b-0",
        "",
      ].join("\n"),
    );
    expect(files[1]?.text).toContain("sort-key particle-1\nversion 7.1\n");
  });

  it("finishing a set keeps a counted file under the name systemd-boot gave it, and removes only older particle files", () => {
    const next = set(8, ["default/b-0", "default/a-0"], "default/b-0");
    const existing = [
      "particle-8-default-b-0+1-2.conf",
      "particle-7-default-a-0.conf",
      "particle-7-default-b-0.conf",
      ".particle-8-default-a-0.conf.tmp-1-ab",
      "debian-6.1.conf",
    ];
    expect(planEspFinish(next, existing)).toEqual({
      write: [{ name: "particle-8-default-a-0.conf", text: blsFilesFor(next)[1]?.text }],
      remove: [
        "particle-7-default-a-0.conf",
        "particle-7-default-b-0.conf",
        ".particle-8-default-a-0.conf.tmp-1-ab",
      ],
    });
    expect(planEspFinish(undefined, existing).remove).toHaveLength(4);
  });

  it("loader.conf names no entry, so systemd-boot's order decides", () => {
    expect(renderSystemdBootLoaderConf(0)).toMatch(/^default particle-\*\ntimeout 0\neditor no\n$/m);
  });

  it("reads LoaderDevicePartUUID as efivarfs gives it", () => {
    const uuid = "3F1C2B6E-9A1D-4E57-8C2B-0123456789AB";
    const data = Buffer.concat([Buffer.from([7, 0, 0, 0]), Buffer.from(`${uuid}\0`, "utf16le")]);
    expect(parseLoaderDevicePartUuid(data)).toBe(uuid.toLowerCase());
    expect(parseLoaderDevicePartUuid(Buffer.from([7, 0, 0, 0]))).toBeUndefined();
  });

  it("the sysroot bootloader record (v1) parses", () => {
    const fixture = JSON.parse(
      readFileSync(path.join(__dirname, "fixtures", "sysroot-bootloader.v1.json"), "utf8"),
    );
    expect(SysrootBootloader.parse(fixture).bootloader).toBe("systemd-boot");
    expect(SysrootBootloader.safeParse({ ...fixture, bootloader: "lilo" }).success).toBe(false);
  });
});

describe("systemd-boot's choice while sets change on the ESP", () => {
  let esp: string;
  afterEach(async () => {
    await fs.rm(esp, { recursive: true, force: true });
  });

  async function write(files: readonly { name: string; text: string }[]): Promise<void> {
    for (const f of files) await fs.writeFile(path.join(esp, "loader/entries", f.name), f.text);
  }
  const filesOf = (s: BootEntrySet) => blsFilesFor(s).map((f) => ({ name: newFileName(f), text: f.text }));
  const boots = async () => deploymentOf(await nextBoot(esp));

  it("the new default outranks every older entry the moment its file appears; out of tries, its set's next entry boots", async () => {
    esp = await fs.mkdtemp(path.join(os.tmpdir(), "sdboot-order-"));
    await fs.mkdir(path.join(esp, "loader/entries"), { recursive: true });
    await fs.writeFile(path.join(esp, "loader/loader.conf"), renderSystemdBootLoaderConf(1));
    // The old set (generation 9, version numbers below 10): C was the default, A the rollback.
    await write(filesOf(set(9, ["default/c-0", "default/a-0"])));
    expect(await boots()).toBe("default/c-0");
    // A foreign entry without our prefix is not chosen by loader.conf's glob.
    await fs.writeFile(path.join(esp, "loader/entries", "aaa.conf"), "title other\nsort-key a\nlinux /x\n");
    expect(await boots()).toBe("default/c-0");

    // The switch: only the default of generation 10 is written, on trial.
    const next = set(10, ["default/b-0", "default/c-0", "default/a-0"], "default/b-0");
    const [first, ...rest] = filesOf(next);
    await write([first as { name: string; text: string }]);
    expect(await boots()).toBe("default/b-0");
    await write(rest);
    // Three failed tries, then the next entry of the new set (the one booted when B was deployed).
    for (let i = 0; i < 3; i++) expect(await tryBoot(esp)).toBe("default/b-0");
    expect(await boots()).toBe("default/c-0");
    expect(blsEntryId(10, "default/c-0")).toBe("particle-10-default-c-0");
  });
});
