import type { Menu } from "../entries.js";
import type { SigningKey } from "../secureboot.js";
import type { BackendName } from "../spec.js";
import type { BootTarget, RootName } from "../target.js";

/** A file a bootloader places: its name inside the directory and where its bytes come from. */
export interface PlannedFile {
  readonly name: string;
  readonly source: string;
  /** For Secure Boot: an EFI binary that must carry a signature, and who signed it. */
  readonly efi?: "user" | "distribution";
}

/** A directory a bootloader owns on the target; updates replace it whole. */
export interface DirPlan {
  readonly root: RootName;
  /** Relative to the root, e.g. "EFI/BOOT". */
  readonly path: string;
  readonly files: readonly PlannedFile[];
}

export interface InstallOptions {
  /** Require a signed chain (shim + signed GRUB, or binaries signed with `signing`). */
  readonly secureBoot?: boolean;
  /** The user's key, to sign what the distribution did not. */
  readonly signing?: SigningKey;
}

export interface Detection {
  readonly backend: BackendName;
  /** Whether the image carries what the backend needs. */
  readonly available: boolean;
  /** What is missing, when not available. */
  readonly missing?: string;
  readonly packages: Readonly<Record<string, string>>;
}

export interface BootCodeRecord {
  readonly what: string;
  readonly sha256: string;
}

export interface BootCodeResult {
  readonly bootCode: readonly BootCodeRecord[];
  /** Files the boot code installer placed itself (extlinux writes ldlinux.c32), keyed "root:path". */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * One bootloader, the way ostree's `OstreeBootloader` is one: query, install, write the menu, say
 * whether the menu switch is atomic. Each backend lives in its own file in this directory.
 */
export interface Bootloader {
  readonly name: BackendName;
  readonly firmware: "uefi" | "bios";
  /** Debian packages whose versions make up the component's version. */
  packages(options: InstallOptions): readonly string[];
  /** Whether the image rooted at `source` carries this bootloader. */
  detect(source: string, options?: InstallOptions): Promise<Detection>;
  /** Throws when the target lacks what this bootloader needs (an ESP, a disk): called before any change. */
  checkTarget(target: BootTarget): Promise<void>;
  /** Whether this bootloader (installed by anyone) is present on the target. */
  query(target: BootTarget): Promise<boolean>;
  /** The directories this bootloader owns, with their files taken (or built, or signed into `work`) from the image. */
  plan(source: string, options: InstallOptions, work: string): Promise<DirPlan[]>;
  /** Writes boot code outside any owned directory (MBR, BIOS boot partition, VBR). */
  installBootCode?(target: BootTarget, source: string, work: string): Promise<BootCodeResult>;
  /** Replaces the boot menu with `menu`. */
  writeMenu(target: BootTarget, menu: Menu): Promise<void>;
  /** Whether `writeMenu` replaces the whole menu in one rename. */
  isAtomic(): boolean;
}
