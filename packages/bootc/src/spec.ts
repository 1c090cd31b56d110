import { API_VERSION } from "@particle/runtime";
import { z } from "zod";

/**
 * Serialized formats of @particle/bootc: the host status document (what `particle-bootc status --json`
 * prints, in the spirit of bootc's BootcHost), the origin file of each deployment, the boot entry set
 * that one rename makes current, and the sysroot layout they live in.
 */

const apiVersion = z.literal(API_VERSION);
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex digits>");
/**
 * Stateroot and deployment ids appear in paths, on the kernel command line and in boot menu ids
 * (`<stateroot>-<id>`, where bootloaders allow no dots): keep them plain.
 */
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be 1-32 lowercase letters, digits, '_' or '-'");

export const StaterootName = name.describe("A stateroot: a group of deployments sharing one /var.");
export const DeploymentId = name.describe("A deployment's directory name inside its stateroot.");

/** Which image a deployment runs and where updates for it come from. */
export const ImageStatus = z
  .object({
    /** What the user asked for: `oci:DIR:TAG`, `docker://host/repo:tag`, or a store reference `name:tag`. */
    reference: z.string().min(1),
    /** The image's name:tag in the local store. */
    storeRef: z.string().min(1),
    manifestDigest: digest,
    /** `org.opencontainers.image.version` label, when the image has one. */
    version: z.string().optional(),
    /** When the image was built (its config's `created`). */
    timestamp: z.string().optional(),
  })
  .strict();
export type ImageStatus = z.infer<typeof ImageStatus>;

/** One layer as the boot script mounts it, bottom first. */
export const DeploymentLayer = z
  .object({
    digest,
    fsType: z.enum(["squashfs", "erofs"]),
  })
  .strict();
export type DeploymentLayer = z.infer<typeof DeploymentLayer>;

/** `/particle/deploy/<stateroot>/<id>/origin.json`: everything known about one deployment. */
export const DeploymentOrigin = z
  .object({
    apiVersion,
    kind: z.literal("DeploymentOrigin"),
    stateroot: StaterootName,
    id: DeploymentId,
    image: ImageStatus,
    layers: z.array(DeploymentLayer).min(1),
    /** Kernel and initramfs of this deployment, stored once per content hash. */
    boot: z
      .object({
        /** sha256 of the kernel and initramfs together: the directory name under /particle/boot/kernels. */
        checksum: z.string().regex(/^[0-9a-f]{64}$/),
        kernelVersion: z.string().min(1),
      })
      .strict(),
    /** Kernel arguments of this deployment (besides root= and particle.deployment=). */
    kargs: z.array(z.string().min(1)),
    /** A pinned deployment is never removed by cleanup. */
    pinned: z.boolean(),
    deployedAt: z.string(),
  })
  .strict();
export type DeploymentOrigin = z.infer<typeof DeploymentOrigin>;

/** One bootable choice, in the order the bootloader offers them. */
export const BootEntry = z
  .object({
    /** `<stateroot>/<id>`, as on the kernel command line. */
    deployment: z.string().regex(/^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/),
    title: z.string().min(1),
    /** Paths relative to the sysroot's root. */
    kernel: z.string().min(1),
    initrd: z.string().min(1),
    /** The complete kernel command line. */
    options: z.string(),
  })
  .strict();
export type BootEntry = z.infer<typeof BootEntry>;

/**
 * `/particle/boot/entries/state.json` (entries is a symlink to `entries.<generation>`): the ordered
 * entries, default first. The bootloader configuration is rendered into the same directory, so the one
 * rename of the `entries` symlink switches the default, the fallback and the config together.
 */
export const BootEntrySet = z
  .object({
    apiVersion,
    kind: z.literal("BootEntrySet"),
    generation: z.number().int().nonnegative(),
    entries: z.array(BootEntry),
    /**
     * The default entry is on trial until a boot marks it good: the bootloader boots it at most this many
     * times, then falls back to the next entry. Absent once the default is known good.
     */
    trial: z
      .object({ deployment: z.string(), tries: z.number().int().min(1).max(9) })
      .strict()
      .optional(),
  })
  .strict();
export type BootEntrySet = z.infer<typeof BootEntrySet>;

/**
 * `/particle/boot/bootloader.json`: which bootloader reads this sysroot's boot entries, chosen at
 * install. GRUB reads the set's `grub/grub.cfg` through `/grub`; systemd-boot reads Boot Loader Spec
 * entries and kernels copied to the ESP. A sysroot without the file is GRUB's.
 */
export const SysrootBootloader = z
  .object({
    apiVersion,
    kind: z.literal("SysrootBootloader"),
    bootloader: z.enum(["grub", "systemd-boot"]),
  })
  .strict();
export type SysrootBootloader = z.infer<typeof SysrootBootloader>;

/** A deployment as `status` reports it. */
export const DeploymentStatus = z
  .object({
    stateroot: StaterootName,
    id: DeploymentId,
    image: ImageStatus,
    pinned: z.boolean(),
    deployedAt: z.string(),
    kernelVersion: z.string(),
    kargs: z.array(z.string()),
  })
  .strict();
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

/** The host document: what the user asked for (spec) and what is on disk (status). */
export const BootcHost = z
  .object({
    apiVersion,
    kind: z.literal("BootcHost"),
    spec: z
      .object({
        /** The image the host follows for upgrades (the default deployment's reference). */
        image: z.string().nullable(),
        /** `default`, or `rollback` when a rollback was asked for and not yet superseded. */
        bootOrder: z.enum(["default", "rollback"]),
      })
      .strict(),
    status: z
      .object({
        /** The running deployment; null when not booted into a Particle deployment. */
        booted: DeploymentStatus.nullable(),
        /** Prepared, becomes the default when the machine shuts down (finalize-staged). */
        staged: DeploymentStatus.nullable(),
        /** What the bootloader falls back to. */
        rollback: DeploymentStatus.nullable(),
        /** Other deployments still on disk, newest first. */
        otherDeployments: z.array(DeploymentStatus),
        /** What the bootloader boots next (the first boot entry). */
        default: DeploymentStatus.nullable(),
      })
      .strict(),
  })
  .strict();
export type BootcHost = z.infer<typeof BootcHost>;

/** `/particle/deploy/<stateroot>/staged.json`: a deployment prepared but not yet made default. */
export const StagedDeployment = z
  .object({
    apiVersion,
    kind: z.literal("StagedDeployment"),
    deployment: DeploymentId,
    /** The deployment whose /etc is merged into the staged one when it is finalized. */
    mergeFrom: DeploymentId.nullable(),
    stagedAt: z.string(),
  })
  .strict();
export type StagedDeployment = z.infer<typeof StagedDeployment>;

/** JSON Schemas generated from the zod schemas, shipped in `schemas/`. */
export const jsonSchemas = {
  "bootc-host": BootcHost,
  "deployment-origin": DeploymentOrigin,
  "boot-entry-set": BootEntrySet,
  "staged-deployment": StagedDeployment,
  "sysroot-bootloader": SysrootBootloader,
} as const;
