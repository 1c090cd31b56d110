import { promises as fs } from "node:fs";
import path from "node:path";
import { pathExists, run } from "@particle/runtime";
import { errors } from "../errors.js";
import { renderGrubStub } from "../menu/grub-cfg.js";
import { signEfiBinary } from "../secureboot.js";
import type { BootTarget } from "../target.js";
import { writeGrubMenu } from "./grub-menu.js";
import { detectRequirements, type Requirement, requireAll } from "./source.js";
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

/**
 * The Secure Boot chain in the image: shim and MokManager (the distribution's signed ones, or the
 * unsigned ones when the user's key signs them) and Debian's signed GRUB.
 */
function signedChain(options: InstallOptions): Record<"shim" | "mm" | "grub", Requirement> {
  const own = options.signing !== undefined;
  return {
    shim: own
      ? { file: `${SHIM}/shimx64.efi`, pkg: "shim-unsigned" }
      : { file: `${SHIM}/shimx64.efi.signed`, pkg: "shim-signed" },
    mm: own
      ? { file: `${SHIM}/mmx64.efi`, pkg: "shim-unsigned" }
      : { file: `${SHIM}/mmx64.efi.signed`, pkg: "shim-helpers-amd64-signed" },
    grub: { file: SIGNED_GRUB, pkg: "grub-efi-amd64-signed" },
  };
}

function requirements(options: InstallOptions): Requirement[] {
  if (!options.secureBoot) return [{ file: `${MODULES}/normal.mod`, pkg: "grub-efi-amd64-bin" }];
  const { shim, mm, grub } = signedChain(options);
  return [shim, mm, grub];
}

/** The component's packages: those its required files come from. */
function packagesFor(options: InstallOptions): string[] {
  return [...new Set(requirements(options).map((r) => r.pkg))];
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

  detect: (source, options = {}) =>
    detectRequirements("grub-efi", source, requirements(options), packagesFor(options)),

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
      const chain = signedChain(options);
      const shim = await userSigned(path.join(source, chain.shim.file), work, "", options);
      const mm = await userSigned(path.join(source, chain.mm.file), work, "", options);
      const grub: PlannedFile = {
        name: "grubx64.efi",
        source: path.join(source, chain.grub.file),
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
