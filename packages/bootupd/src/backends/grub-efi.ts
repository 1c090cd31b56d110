import { promises as fs } from "node:fs";
import path from "node:path";
import { pathExists, run } from "@particle/runtime";
import { packageVersions } from "../dpkg.js";
import { errors } from "../errors.js";
import { renderGrubStub } from "../menu/grub-cfg.js";
import { signEfiBinary } from "../secureboot.js";
import type { BootTarget } from "../target.js";
import { writeGrubMenu } from "./grub-menu.js";
import { firstMissing, type Requirement, requireAll } from "./source.js";
import type { Bootloader, DirPlan, InstallOptions, PlannedFile } from "./types.js";

/**
 * GRUB for x86_64 UEFI. Without Secure Boot: a GRUB image made with grub-mkimage from the image's
 * grub-efi-amd64-bin modules (everything needed built in). With Secure Boot: shim and Debian's signed
 * monolithic GRUB (prefix /EFI/debian); shim is the distribution's (Microsoft-signed) one, or the
 * unsigned one signed with the user's key when one is given. Both put a stub grub.cfg beside GRUB
 * that hands over to the generated menu in /grub on the boot filesystem.
 */

const MODULES = "usr/lib/grub/x86_64-efi";
const SIGNED_GRUB = "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed";
const SHIM = "usr/lib/shim";

/** Built into the unsigned image, so that it needs no module directory on the ESP. */
export const GRUB_EFI_MODULES = [
  "part_gpt",
  "part_msdos",
  "fat",
  "ext2",
  "normal",
  "linux",
  "search",
  "search_fs_file",
  "configfile",
  "loadenv",
  "test",
  "echo",
  "boot",
  "chain",
  "efi_gop",
  "all_video",
  "gzio",
  "serial",
  "terminal",
  "reboot",
  "halt",
  "sleep",
];

function requirements(options: InstallOptions): Requirement[] {
  if (!options.secureBoot) return [{ file: `${MODULES}/normal.mod`, pkg: "grub-efi-amd64-bin" }];
  const shim = options.signing
    ? { file: `${SHIM}/shimx64.efi`, pkg: "shim-unsigned" }
    : { file: `${SHIM}/shimx64.efi.signed`, pkg: "shim-signed" };
  const mm = options.signing
    ? { file: `${SHIM}/mmx64.efi`, pkg: "shim-unsigned" }
    : { file: `${SHIM}/mmx64.efi.signed`, pkg: "shim-helpers-amd64-signed" };
  return [shim, mm, { file: SIGNED_GRUB, pkg: "grub-efi-amd64-signed" }];
}

function packagesFor(options: InstallOptions): string[] {
  if (!options.secureBoot) return ["grub-efi-amd64-bin"];
  return options.signing
    ? ["shim-unsigned", "grub-efi-amd64-signed"]
    : ["shim-signed", "shim-helpers-amd64-signed", "grub-efi-amd64-signed"];
}

async function userSigned(
  source: string,
  work: string,
  name: string,
  options: InstallOptions,
): Promise<PlannedFile> {
  if (!options.signing) return { name, source, efi: "distribution" };
  const out = path.join(work, `signed-${path.basename(source)}`);
  await signEfiBinary(source, out, options.signing);
  return { name, source: out, efi: "user" };
}

export const grubEfi: Bootloader = {
  name: "grub-efi",
  firmware: "uefi",
  packages: packagesFor,

  async detect(source, options = {}) {
    const missing = await firstMissing(source, requirements(options));
    return {
      backend: "grub-efi",
      available: missing === undefined,
      ...(missing ? { missing: `/${missing.file} (${missing.pkg})` } : {}),
      packages: await packageVersions(source, packagesFor(options)),
    };
  },

  async checkTarget(target) {
    if (target.esp === undefined) throw errors.targetMissing("--esp", "grub-efi");
  },

  async query(target: BootTarget) {
    if (target.esp === undefined) return false;
    return (
      (await pathExists(path.join(target.esp, "EFI/debian/grubx64.efi"))) ||
      (await pathExists(path.join(target.esp, "EFI/BOOT/grubx64.efi")))
    );
  },

  async plan(source, options, work): Promise<DirPlan[]> {
    await requireAll("grub-efi", source, requirements(options));
    const stub = path.join(work, "grub.cfg");
    await fs.writeFile(stub, renderGrubStub());
    const stubFile = { name: "grub.cfg", source: stub };
    if (options.secureBoot) {
      const shim = await userSigned(
        path.join(source, options.signing ? `${SHIM}/shimx64.efi` : `${SHIM}/shimx64.efi.signed`),
        work,
        "",
        options,
      );
      const mm = await userSigned(
        path.join(source, options.signing ? `${SHIM}/mmx64.efi` : `${SHIM}/mmx64.efi.signed`),
        work,
        "",
        options,
      );
      const grub: PlannedFile = {
        name: "grubx64.efi",
        source: path.join(source, SIGNED_GRUB),
        efi: "distribution",
      };
      return [
        {
          root: "esp",
          path: "EFI/BOOT",
          files: [{ ...shim, name: "BOOTX64.EFI" }, grub, { ...mm, name: "mmx64.efi" }],
        },
        {
          root: "esp",
          path: "EFI/debian",
          files: [
            { ...shim, name: "shimx64.efi" },
            grub,
            { ...mm, name: "mmx64.efi" },
            { name: "BOOTX64.CSV", source: path.join(source, SHIM, "BOOTX64.CSV") },
            stubFile,
          ],
        },
      ];
    }
    const image = path.join(work, "grubx64.efi");
    await run("grub-mkimage", [
      "-O",
      "x86_64-efi",
      "-d",
      path.join(source, MODULES),
      "-p",
      "/EFI/debian",
      "-o",
      image,
      ...GRUB_EFI_MODULES,
    ]);
    const grub = await userSigned(image, work, "grubx64.efi", options);
    return [
      { root: "esp", path: "EFI/BOOT", files: [{ ...grub, name: "BOOTX64.EFI" }] },
      { root: "esp", path: "EFI/debian", files: [grub, stubFile] },
    ];
  },

  writeMenu: writeGrubMenu,

  isAtomic: () => true,
};
