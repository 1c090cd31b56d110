import { API_VERSION } from "@particle/runtime";
import { z } from "zod";

/** Serialized formats of apt-layer: recipes, the audit log, tenants, live overlay state, image labels. */

const packageSpec = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/,
    "must be a Debian package name, optionally :ARCH or =VERSION",
  );
const imageName = z
  .string()
  .regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/);
const tag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
const simpleName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/);

export const BootstrapSpec = z
  .object({
    suite: z.string().min(1).describe("Debian or Ubuntu suite (bookworm, trixie, noble …)."),
    mirror: z.string().url().optional().describe("Archive mirror; default from settings.bootstrap.mirror."),
    components: z.array(z.string().min(1)).min(1).optional(),
    variant: z.enum(["minbase", "required", "important", "standard", "apt"]).optional(),
    keyring: z.string().optional().describe("Keyring file that signs the archive."),
    include: z.array(packageSpec).optional().describe("Extra packages installed by mmdebstrap."),
  })
  .strict();
export type BootstrapSpec = z.infer<typeof BootstrapSpec>;

const AptKey = z.union([
  z
    .object({
      url: z
        .string()
        .url()
        .describe("Fetched when the recipe is built; its bytes are part of the step's cache key."),
    })
    .strict(),
  z
    .object({
      armored: z.string().includes("BEGIN PGP PUBLIC KEY BLOCK").describe("An ASCII-armored public key."),
    })
    .strict(),
]);

export const AptSource = z
  .object({
    name: simpleName.describe("File name of the source in /etc/apt/sources.list.d (NAME.sources)."),
    uris: z.array(z.string().url()).min(1),
    suites: z.array(z.string().min(1)).min(1),
    components: z.array(z.string().min(1)).default([]),
    architectures: z.array(simpleName).optional(),
    key: AptKey.optional().describe("The archive's signing key; default the distribution keyring."),
  })
  .strict();
export type AptSource = z.infer<typeof AptSource>;

export const RecipeFile = z
  .object({
    path: z
      .string()
      .regex(/^\/[^\0]+$/, "must be an absolute path")
      .refine((p) => !p.split("/").includes(".."), "must not contain .."),
    content: z.string().describe("The file's content, written verbatim."),
    mode: z
      .string()
      .regex(/^0?[0-7]{3,4}$/)
      .default("0644"),
  })
  .strict();

export const RecipeUser = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/),
    uid: z.number().int().min(1).max(65533).optional(),
    groups: z.array(z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/)).default([]),
    shell: z.string().regex(/^\//).default("/bin/bash"),
    system: z.boolean().default(false),
    passwordHash: z
      .string()
      .optional()
      .describe("A crypt(3) hash for /etc/shadow; default a locked password."),
  })
  .strict();

export const RecipeScript = z
  .object({
    name: simpleName,
    run: z
      .string()
      .min(1)
      .describe(
        "A POSIX sh script run inside the image (in the build sandbox: no network, no daemons, few capabilities).",
      ),
  })
  .strict();

const packageList = z.array(packageSpec);

/** Packages of one bootloader: what it needs, and its Secure Boot chain signed by the distribution. */
const BootloaderPackages = z
  .object({
    packages: packageList.min(1),
    secureBoot: packageList
      .min(1)
      .optional()
      .describe(
        "The distribution-signed chain (shim and a signed loader); absent: Secure Boot needs the user's key.",
      ),
  })
  .strict();

/**
 * One distribution release as data: where its archive is, who signs it, and the package names a
 * bootable image needs there (`container lint` checks what they install: a kernel with an initramfs,
 * systemd as init, the initramfs-tools hook of the particle-os package).
 */
export const SuiteProfile = z
  .object({
    $schema: z.string().optional(),
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("SuiteProfile"),
    suite: simpleName.describe("The release's codename (VERSION_CODENAME in os-release)."),
    distribution: simpleName.describe("ID in os-release: debian, ubuntu."),
    release: z.string().min(1).describe("VERSION_ID in os-release: 13, 24.04."),
    title: z.string().min(1),
    mirror: z.string().url(),
    components: z.array(z.string().min(1)).min(1),
    keyring: z
      .object({
        file: z.string().regex(/^\//, "must be an absolute path"),
        package: packageSpec.describe(
          "The host package that installs it (named in the error when it is missing).",
        ),
      })
      .strict(),
    boot: z
      .object({
        kernel: packageList.min(1).describe("Lint `kernel`: a kernel with an initramfs in /boot."),
        init: packageList.min(1).describe("Lint `systemd`: /sbin/init is systemd."),
        initramfs: packageList.min(1).describe("The initramfs generator the particle-os hook plugs into."),
      })
      .strict(),
    bootloaders: z
      .object({
        "grub-efi": BootloaderPackages,
        "grub-bios": BootloaderPackages,
        "systemd-boot": BootloaderPackages,
      })
      .strict(),
  })
  .strict();
export type SuiteProfile = z.infer<typeof SuiteProfile>;

/** A .deb file on the build host, installed as a package (relative paths: from the recipe's directory). */
const LocalPackage = z
  .string()
  .regex(/^[^\0]+\.deb$/, "must be the path of a .deb file")
  .describe("Path of a .deb file; relative to the recipe's directory.");

/** A package an image got from a local .deb (the `local` label holds a list of them). */
export const LocalPackageRecord = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/),
    architecture: simpleName,
    version: z.string().regex(/^[A-Za-z0-9.+~:-]+$/),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe("SHA-256 of the .deb file that was installed."),
  })
  .strict();
export type LocalPackageRecord = z.infer<typeof LocalPackageRecord>;

export const Recipe = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("Recipe"),
    metadata: z
      .object({
        name: imageName.describe("Image name the recipe builds."),
        tag: tag.default("latest"),
        description: z.string().optional(),
      })
      .strict(),
    base: z.union([
      z
        .object({ image: z.string().min(1).describe("An image in the store (NAME/TAG or NAME:TAG).") })
        .strict(),
      z.object({ bootstrap: BootstrapSpec }).strict(),
    ]),
    architectures: z
      .array(simpleName)
      .default([])
      .describe("Foreign architectures to enable (i386 for 32-bit games)."),
    sources: z.array(AptSource).default([]),
    debconf: z
      .array(z.string().regex(/^\S+\s+\S+\s+\S+(\s.*)?$/, "must be OWNER QUESTION TYPE VALUE"))
      .default([])
      .describe(
        "debconf-set-selections lines, set before packages are installed (license prompts, defaults).",
      ),
    packages: z.array(packageSpec).default([]),
    remove: z.array(packageSpec).default([]),
    localPackages: z
      .array(LocalPackage)
      .default([])
      .describe(
        "Local .deb files, installed in their own step after `packages`, resolved by apt with the mirror packages they depend on.",
      ),
    bootable: z
      .boolean()
      .default(false)
      .describe(
        "Add what booting needs from the suite's profile (kernel, systemd, initramfs-tools, GRUB EFI + BIOS, shim and signed GRUB, systemd-boot) and the particle-os boot integration (compose --particle-deb); the result must pass `particle-bootc container lint`.",
      ),
    files: z.array(RecipeFile).default([]),
    users: z.array(RecipeUser).default([]),
    units: z
      .object({
        enable: z.array(z.string().min(1)).default([]),
        disable: z.array(z.string().min(1)).default([]),
        mask: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ enable: [], disable: [], mask: [] }),
    scripts: z.array(RecipeScript).default([]),
  })
  .strict();
export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;

export const AuditEntry = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("AuditEntry"),
    seq: z.number().int().min(1),
    time: z.string(),
    user: z.object({ uid: z.number().int(), name: z.string() }).strict(),
    op: z.string().min(1),
    target: z.string(),
    details: z.record(z.string(), z.unknown()),
    result: z.enum(["success", "failure"]),
    error: z.string().optional(),
    /** Hash of the previous entry (64 zeros for the first). */
    prev: z.string().regex(/^[0-9a-f]{64}$/),
    /** SHA-256 of this entry without `hash`, as canonical JSON. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type AuditEntry = z.infer<typeof AuditEntry>;

export const Tenant = z
  .object({
    quotaBytes: z.number().int().min(0),
    group: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/),
  })
  .strict();
export type Tenant = z.infer<typeof Tenant>;

export const TenantsFile = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("Tenants"),
    tenants: z.record(simpleName, Tenant),
  })
  .strict();
export type TenantsFile = z.infer<typeof TenantsFile>;

/** One directory a live overlay covers: where it is below the root and what lies under it. */
const LiveTreeState = z
  .object({
    /** Below the root ("." for the root itself). */
    path: z.string(),
    /** The tree as it was before the session, topmost first (overlay lower directories). */
    lower: z.array(z.string()).min(1),
    /** Mounted read-only on the running system (as the image's tree was): only live installs change it. */
    readOnly: z.boolean().default(false),
  })
  .strict();

export const LiveState = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("LiveOverlay"),
    root: z.string(),
    /** The image the root runs; live-commit layers on it. */
    base: z.string(),
    /** Where live-commit puts the image unless told otherwise. */
    commitAs: z.string().optional(),
    startedAt: z.string(),
    installed: z.array(packageSpec),
    /** The generation of changes mounted live; 0 until the first install has succeeded. */
    generation: z.number().int().min(0).default(0),
    /** The kernel's boot id when the session started: a state from another boot has no mounts left. */
    bootId: z.string().default(""),
    trees: z.array(LiveTreeState).default([]),
    /** Mounts that were below a covered tree (e.g. /usr/local), bound back over the overlay. */
    submounts: z.array(z.object({ path: z.string(), source: z.string() }).strict()).default([]),
    /** A rollback or commit is ending the session: recovery finishes it. */
    ending: z.boolean().default(false),
    /** The last image committed from this session (the session stays live until reboot). */
    committed: z.string().optional(),
  })
  .strict();
export type LiveState = z.infer<typeof LiveState>;

/** Image labels apt-layer writes (OCI config labels). */
export const LABELS = {
  requested: "dev.particle.apt-layer.requested",
  removed: "dev.particle.apt-layer.removed",
  packages: "dev.particle.apt-layer.packages",
  base: "dev.particle.apt-layer.base",
  baseDigest: "dev.particle.apt-layer.base-digest",
  os: "dev.particle.apt-layer.os",
  recipe: "dev.particle.apt-layer.recipe",
  /** The release the image is (VERSION_CODENAME of its os-release): picks its suite profile. */
  suite: "dev.particle.apt-layer.suite",
  /** Packages installed from local .deb files: JSON list of `{name, architecture, version, sha256}`. */
  local: "dev.particle.apt-layer.local",
  message: "dev.particle.apt-layer.message",
} as const;

/** JSON Schemas generated from these schemas, shipped in `schemas/`. */
export const jsonSchemas = {
  recipe: Recipe,
  "audit-entry": AuditEntry,
  tenants: TenantsFile,
  "live-state": LiveState,
  "suite-profile": SuiteProfile,
} as const;
