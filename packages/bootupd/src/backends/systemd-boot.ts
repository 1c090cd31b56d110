import { promises as fs } from "node:fs";
import path from "node:path";
import {
  fsyncDir,
  mkdirDurable,
  pathExists,
  readFileIfExists,
  succeeds,
  writeFileAtomic,
} from "@particle/runtime";
import type { Menu } from "../entries.js";
import { errors } from "../errors.js";
import {
  blsFileName,
  nextBlsFileName,
  parseBlsFileName,
  renderBlsEntry,
  renderLoaderConf,
} from "../menu/bls.js";
import { signEfiBinary } from "../secureboot.js";
import type { BootTarget } from "../target.js";
import { detectRequirements, requireAll } from "./source.js";
import type { Bootloader, PlannedFile } from "./types.js";

/**
 * systemd-boot: it reads Boot Loader Spec entries from the ESP and counts boot tries itself by
 * renaming entry files. Debian 12 ships it unsigned: Secure Boot needs the user's key.
 *
 * The menu is many files, so it is not switched by one rename as a whole: new entry files are
 * written first (each atomically, under names the old loader.conf does not select), then
 * loader.conf, whose `default` is the switch, is replaced in one rename, then stale entries go.
 */

const EFI = "usr/lib/systemd/boot/efi/systemd-bootx64.efi";
const REQUIREMENTS = [{ file: EFI, pkg: "systemd-boot-efi" }];
const PACKAGES = ["systemd-boot-efi"];
/** systemd's vendor GUID for the loader's EFI variables. */
const LOADER_GUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

function espOf(target: BootTarget): string {
  if (target.esp === undefined) throw errors.targetMissing("--esp", "systemd-boot");
  return target.esp;
}

function entriesDir(target: BootTarget): string {
  return path.join(espOf(target), "loader/entries");
}

/** LoaderEntryOneShot: 4 bytes of attributes (non-volatile, boot and runtime access), then UTF-16LE with NUL. */
function oneshotVariable(entryFile: string): Buffer {
  const attrs = Buffer.alloc(4);
  attrs.writeUInt32LE(0x7);
  return Buffer.concat([attrs, Buffer.from(`${entryFile}\0`, "utf16le")]);
}

/**
 * Sets LoaderEntryOneShot to the entry's file name (systemd-boot 252 identifies entries by it).
 * efivarfs marks existing variables immutable; the flag is lifted before the variable is replaced.
 */
async function writeOneshot(efivars: string, id: string, files: readonly string[]): Promise<void> {
  const name = files.find((n) => parseBlsFileName(n)?.id === id) ?? blsFileName({ id });
  const file = path.join(efivars, `LoaderEntryOneShot-${LOADER_GUID}`);
  // Only efivarfs has the flag to lift; elsewhere chattr may fail, and a real failure shows in the write.
  if (await pathExists(file)) await succeeds("chattr", ["-i", file]);
  await fs.writeFile(file, oneshotVariable(name));
}

async function listEntryFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => parseBlsFileName(n) !== undefined).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

export const systemdBoot: Bootloader = {
  name: "systemd-boot",
  firmware: "uefi",
  packages: () => PACKAGES,

  detect: (source) => detectRequirements("systemd-boot", source, REQUIREMENTS, PACKAGES),

  async checkTarget(target) {
    if (target.esp === undefined) throw errors.targetMissing("--esp", "systemd-boot");
  },

  async query(target) {
    return target.esp !== undefined && pathExists(path.join(target.esp, "EFI/systemd/systemd-bootx64.efi"));
  },

  async plan(source, options, work) {
    await requireAll("systemd-boot", source, REQUIREMENTS);
    let file: PlannedFile = {
      name: "systemd-bootx64.efi",
      source: path.join(source, EFI),
      efi: "distribution",
    };
    if (options.signing) {
      const signed = path.join(work, "systemd-bootx64.efi");
      await signEfiBinary(file.source, signed, options.signing);
      file = { ...file, source: signed, efi: "user" };
    }
    return [
      { root: "esp", path: "EFI/BOOT", files: [{ ...file, name: "BOOTX64.EFI" }] },
      { root: "esp", path: "EFI/systemd", files: [file] },
    ];
  },

  async writeMenu(target, menu: Menu) {
    const { oneshot } = menu.options;
    const { efivars } = target;
    if (oneshot !== undefined && efivars === undefined) {
      throw errors.oneshotUnsupported(
        "systemd-boot",
        "the one-shot entry is an EFI variable and no efivarfs was given",
      );
    }
    const dir = entriesDir(target);
    await mkdirDurable(dir);
    const existing = await listEntryFiles(dir);
    const keep = new Set<string>();
    for (const entry of menu.entries) {
      const name = nextBlsFileName(entry, existing);
      keep.add(name);
      const file = path.join(dir, name);
      const text = renderBlsEntry(entry, entry.id === menu.options.default);
      if ((await readFileIfExists(file)) !== text) await writeFileAtomic(file, text);
    }
    if (oneshot !== undefined && efivars !== undefined) await writeOneshot(efivars, oneshot, [...keep]);
    await writeFileAtomic(
      path.join(espOf(target), "loader/loader.conf"),
      renderLoaderConf(
        menu.options,
        menu.entries.some((e) => e.id === menu.options.default && e.tries !== undefined),
      ),
    );
    for (const name of existing) if (!keep.has(name)) await fs.rm(path.join(dir, name), { force: true });
    await fsyncDir(dir);
  },

  isAtomic: () => false,
};

/** Marks an entry's boot good the way systemd-bless-boot does: `ID+LEFT-DONE.conf` becomes `ID.conf`. */
export async function markBlsEntryGood(target: BootTarget, id: string): Promise<void> {
  const dir = entriesDir(target);
  for (const name of await listEntryFiles(dir)) {
    const parsed = parseBlsFileName(name);
    if (parsed?.id !== id || parsed.left === undefined) continue;
    await fs.rename(path.join(dir, name), path.join(dir, blsFileName({ id })));
    await fsyncDir(dir);
  }
}
