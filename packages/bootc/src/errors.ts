import { type ErrorContext, ParticleError } from "@particle/runtime";

/** The user-facing errors of @particle/bootc: one constructor per stable code. */
export const BootcErrors = {
  notASysroot: (root: string) =>
    new ParticleError({
      code: "SYSROOT_NOT_FOUND",
      message: `${root} is not a Particle sysroot (no particle/deploy directory)`,
      hint: "Pass --sysroot (or set paths.sysroot) to the physical root, or create one with `particle-bootc install to-filesystem`.",
      context: { sysroot: root },
      exit: "notFound",
    }),
  deploymentNotFound: (ref: string, context: ErrorContext = {}) =>
    new ParticleError({
      code: "DEPLOYMENT_NOT_FOUND",
      message: `no deployment ${ref}`,
      hint: "Run `particle-bootc status` to see the deployments.",
      context: { deployment: ref, ...context },
      exit: "notFound",
    }),
  invalidName: (what: string, value: string) =>
    new ParticleError({
      code: "NAME_INVALID",
      message: `${what} "${value}" is not valid`,
      hint: "Use 1-32 lowercase letters, digits, '_' and '-'.",
      context: { [what]: value },
      exit: "invalidInput",
    }),
  noKernel: (image: string) =>
    new ParticleError({
      code: "IMAGE_NOT_BOOTABLE",
      message: `image ${image} has no kernel and initramfs (looked in /usr/lib/modules/*/vmlinuz and /boot/vmlinuz-*)`,
      hint: "Install a kernel and initramfs-tools in the image; `particle-bootc container lint` lists what a bootable image needs.",
      context: { image },
      exit: "invalidInput",
    }),
  noDeployment: (what: string) =>
    new ParticleError({
      code: "NO_DEPLOYMENT",
      message: `there is no ${what} deployment`,
      hint: "Run `particle-bootc status`; deploy an image first with `particle-bootc deploy IMAGE`.",
      exit: "conflict",
    }),
  layerFormat: (image: string, mediaType: string) =>
    new ParticleError({
      code: "LAYER_NOT_BOOTABLE",
      message: `image ${image} has a layer of type ${mediaType}, which the boot script cannot mount`,
      hint: "Import the image into the store first (it converts tar layers to squashfs or erofs).",
      context: { image, mediaType },
      exit: "invalidInput",
    }),
  kargInvalid: (arg: string, why: string) =>
    new ParticleError({
      code: "KARG_INVALID",
      message: `kernel argument "${arg}" ${why}`,
      hint: "Give NAME or NAME=VALUE without spaces or quotes; root=, ro/rw and particle.deployment= are managed by particle-bootc.",
      context: { karg: arg },
      exit: "invalidInput",
    }),
  kargMissing: (arg: string) =>
    new ParticleError({
      code: "KARG_NOT_FOUND",
      message: `kernel argument "${arg}" is not set`,
      hint: "Run `particle-bootc kargs --list` to see the current arguments.",
      context: { karg: arg },
      exit: "notFound",
    }),
  lintFailed: (failed: readonly string[]) =>
    new ParticleError({
      code: "LINT_FAILED",
      message: `the image is not bootable: ${failed.join(", ")}`,
      hint: "Fix the image, or pass --skip ID for a check that does not apply.",
      context: { failed: failed.join(",") },
      exit: "invalidInput",
    }),
  lintUnknown: (id: string) =>
    new ParticleError({
      code: "LINT_UNKNOWN",
      message: `no lint named ${id}`,
      hint: "Run `particle-bootc container lint --list` to see the lints.",
      context: { lint: id },
      exit: "usage",
    }),
  targetInvalid: (target: string, why: string) =>
    new ParticleError({
      code: "INSTALL_TARGET_INVALID",
      message: `cannot install to ${target}: ${why}`,
      hint: "Give an empty directory (to-filesystem), or a block device or an image file path (to-disk).",
      context: { target },
      exit: "invalidInput",
    }),
  noImporter: (reference: string) =>
    new ParticleError({
      code: "IMPORTER_MISSING",
      message: `${reference} is a transport reference, and no image importer was given`,
      hint: "Pass an importer (ociImporter() from @particle/bootc), or import the image into the store first and give its name:tag.",
      context: { reference },
      exit: "usage",
    }),
  imageNotReferenced: (manifestDigest: string) =>
    new ParticleError({
      code: "IMAGE_NOT_REFERENCEABLE",
      message: `image ${manifestDigest} cannot be tagged for its deployment: committing it again gives another manifest, so the store's gc could free it`,
      hint: "Import or commit the image into the store again (e.g. `particle-composefs create` or `particle-bootc switch` with a transport reference), then deploy it.",
      context: { image: manifestDigest },
      exit: "invalidInput",
    }),
  sizeInvalid: (what: string, value: number) =>
    new ParticleError({
      code: "SIZE_INVALID",
      message: `the ${what} ${value} is not a whole number of MiB`,
      hint: "Give a positive whole number of MiB, e.g. --root-size 4096.",
      context: { [what]: String(value) },
      exit: "invalidInput",
    }),
  espInvalid: (esp: string) =>
    new ParticleError({
      code: "ESP_INVALID",
      message: `the ESP ${esp} is not a directory`,
      hint: "Mount the ESP (the FAT partition of type EFI System) and pass its mount point with --esp.",
      context: { esp },
      exit: "invalidInput",
    }),
  espNeeded: (what: string) =>
    new ParticleError({
      code: "ESP_NEEDED",
      message: `the sysroot boots with systemd-boot, and the ESP is needed to ${what}`,
      hint: "On a machine booted with systemd-boot the ESP is found by itself (LoaderDevicePartUUID); elsewhere mount the ESP and pass --esp PATH.",
      exit: "notFound",
    }),
};
