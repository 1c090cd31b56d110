import { API_VERSION } from "@particle/runtime";
import { z } from "zod";

/** The bootloaders this package knows. */
export const BackendName = z.enum(["grub-efi", "grub-bios", "systemd-boot", "extlinux", "lilo"]);
export type BackendName = z.infer<typeof BackendName>;

/** Names that are safe as file names on FAT, as GRUB menu ids and as syslinux labels. */
// No '.' or '+': BLS file names append "+tries-done.conf" and the loader.conf default glob relies on that.
const EntryId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    "use 1-64 letters, digits, '_' or '-', starting with a letter or digit",
  );

/** A path on the boot filesystem, as the bootloader sees it. */
const BootPath = z
  .string()
  .regex(/^\/[^\s"'\\]*$/, "an absolute path on the boot filesystem without spaces or quotes")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

/** One boot menu entry (one deployment). Every backend renders its menu from a list of these. */
export const BootEntry = z.object({
  id: EntryId,
  title: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^"'\n\\$`]*$/, "no quotes, backslashes, '$', '`' or newlines"),
  /** Kernel image, relative to the root of the boot filesystem ("/particle/abc/vmlinuz"). */
  kernel: BootPath,
  initrd: z.array(BootPath).default([]),
  /** Kernel command line. */
  options: z
    .string()
    .regex(/^[^\n"\\$`;]*$/, "no newlines, quotes, backslashes, '$', '`' or ';'")
    .default(""),
  /** Orders the menu: higher sorts first, ties by id (the newest deployment on top). */
  sortKey: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default(""),
  /** Boot counting: how many times the entry may fail to boot before the loader falls back. */
  tries: z.number().int().min(1).max(9).optional(),
});
export type BootEntry = z.infer<typeof BootEntry>;
export type BootEntryInput = z.input<typeof BootEntry>;

export const MenuOptions = z.object({
  /** Entry booted when nothing else is asked for. */
  default: EntryId,
  /** Entry booted once, on the next boot only. */
  oneshot: EntryId.optional(),
  /** Seconds the menu waits. @default 1 */
  timeout: z.number().int().min(0).max(600).default(1),
  /** Also show the menu on the first serial port (115200 baud). @default false */
  serial: z.boolean().default(false),
});
export type MenuOptions = z.infer<typeof MenuOptions>;
export type MenuOptionsInput = z.input<typeof MenuOptions>;

/** A boot menu as a file (`particle-bootupctl write-entries --entries FILE`). */
export const BootEntriesDocument = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("BootEntries"),
  /** The bootloader to write for; by default the installed one. */
  backend: BackendName.optional(),
  menu: MenuOptions,
  entries: z.array(BootEntry).min(1),
});
export type BootEntriesDocument = z.infer<typeof BootEntriesDocument>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** One bootloader as installed on a target: what it is made of and every file it placed. */
export const InstalledComponent = z.object({
  backend: BackendName,
  /** Debian packages (and versions) the files came from, read from the image's dpkg database. */
  packages: z.record(z.string(), z.string()),
  /** Whether the EFI binaries were installed for Secure Boot (shim + signed GRUB, or signed by the user). */
  secureBoot: z.boolean().default(false),
  /** Whether binaries were signed with the user's key: updates then need that key again. */
  userSigned: z.boolean().default(false),
  /** Directories the component owns, as "esp:EFI/BOOT" or "boot:grub/i386-pc": updates swap them whole. */
  dirs: z.array(z.string()).default([]),
  /** Files by their path from the root they live in ("esp:EFI/BOOT/BOOTX64.EFI", "boot:grub/i386-pc/normal.mod"). */
  files: z.record(z.string(), Sha256),
  /** Boot code written outside any filesystem (MBR, BIOS boot partition, volume boot record). */
  bootCode: z.array(z.object({ what: z.string(), sha256: Sha256 })).default([]),
  installedAt: z.string(),
  updatedAt: z.string(),
  /** Who put it there: "install", "update" or "adopt" (taken over from another installer). */
  origin: z.enum(["install", "update", "adopt"]),
});
export type InstalledComponent = z.infer<typeof InstalledComponent>;

/** The state file: `<boot>/particle-bootupd/state.json`. */
export const BootupState = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("BootupState"),
  components: z.partialRecord(BackendName, InstalledComponent),
});
export type BootupState = z.infer<typeof BootupState>;

/** What `validate` finds for one file. */
export const FileProblem = z.object({
  path: z.string(),
  problem: z.enum(["changed", "missing", "extra"]),
  expected: Sha256.optional(),
  actual: Sha256.optional(),
});
export type FileProblem = z.infer<typeof FileProblem>;

export const ValidationReport = z.object({
  valid: z.boolean(),
  checked: z.number().int(),
  problems: z.array(FileProblem),
});
export type ValidationReport = z.infer<typeof ValidationReport>;

export const ComponentStatus = z.object({
  backend: BackendName,
  installed: z.record(z.string(), z.string()),
  /** Package versions the source image carries (empty when it carries none of them). */
  available: z.record(z.string(), z.string()),
  updateAvailable: z.boolean(),
  secureBoot: z.boolean(),
  files: z.number().int(),
});
export type ComponentStatus = z.infer<typeof ComponentStatus>;

/** `particle-bootupctl status --json` (without the apiVersion/kind envelope the CLI adds). */
export const BootupStatus = z.object({
  components: z.array(ComponentStatus),
  /** What the image at `source` can install (without Secure Boot), and what it lacks. */
  installable: z.array(
    z.object({ backend: BackendName, available: z.boolean(), missing: z.string().optional() }),
  ),
  /** Bootloaders found on the target that this state does not record (adoptable). */
  adoptable: z.array(BackendName),
  /** Interrupted updates found in the journal; `update` finishes them. */
  interrupted: z.array(
    z.object({ id: z.string(), op: z.string(), startedAt: z.string(), steps: z.array(z.string()) }),
  ),
});
export type BootupStatus = z.infer<typeof BootupStatus>;

/** The journal intent of a directory-swapping update (see esp-update.ts). */
export const DirUpdateIntent = z.object({
  dirs: z.array(z.object({ root: z.enum(["esp", "boot"]), path: z.string() })),
});
export type DirUpdateIntent = z.infer<typeof DirUpdateIntent>;

/** The published formats, by schema file name (schemas/NAME.schema.json). */
export const jsonSchemas = {
  "bootup-state": BootupState,
  "boot-entry": BootEntry,
  "boot-entries": BootEntriesDocument,
  "bootup-status": BootupStatus,
  "validation-report": ValidationReport,
} as const;
