import { type ErrorContext, ParticleError } from "@particle/runtime";

/** The user-facing errors of bootupd, one constructor per stable code. */
export const errors = {
  invalidEntries: (message: string, context: ErrorContext = {}) =>
    new ParticleError({
      code: "BOOT_ENTRIES_INVALID",
      message: `boot entries are invalid: ${message}`,
      hint: "Fix the entry list: ids must be unique, and the default and one-shot entries must be among them.",
      context,
      exit: "invalidInput",
    }),
  unknownBackend: (name: string) =>
    new ParticleError({
      code: "BOOTLOADER_UNKNOWN",
      message: `unknown bootloader "${name}"`,
      hint: "Use one of: grub-efi, grub-bios, systemd-boot, extlinux, lilo.",
      context: { backend: name },
      exit: "usage",
    }),
  notInImage: (backend: string, source: string, missing: string, pkg: string) =>
    new ParticleError({
      code: "BOOTLOADER_NOT_IN_IMAGE",
      message: `${backend} cannot be installed from ${source}: ${missing} is missing`,
      hint: `Install the Debian package ${pkg} in the image, or choose another bootloader.`,
      context: { backend, source, missing },
      exit: "notFound",
    }),
  liloUnsupported: () =>
    new ParticleError({
      code: "LILO_UNSUPPORTED",
      message: "LILO cannot be installed: Debian 12 and Ubuntu 24.04 no longer package it",
      hint: "Use grub-bios or extlinux for BIOS machines; `lilo.conf` can still be generated with writeBootEntries.",
      exit: "unavailable",
    }),
  targetMissing: (what: string, backend: string) =>
    new ParticleError({
      code: "TARGET_INCOMPLETE",
      message: `${backend} needs ${what}`,
      hint: what.startsWith("--esp")
        ? "Pass the mounted ESP (or a staging directory for an offline image) with --esp."
        : "Pass the disk (block device or image file) with --disk and the boot partition number with --boot-partition.",
      context: { backend },
      exit: "usage",
    }),
  notInstalled: (boot: string) =>
    new ParticleError({
      code: "BOOTLOADER_NOT_INSTALLED",
      message: `no bootloader is recorded in ${boot}`,
      hint: "Run `particle-bootupctl install`, or `adopt-and-update` to take over a bootloader installed by something else.",
      context: { boot },
      exit: "notFound",
    }),
  nothingToAdopt: (boot: string) =>
    new ParticleError({
      code: "NOTHING_TO_ADOPT",
      message: `no known bootloader was found in ${boot}`,
      hint: "Check --esp and --boot, or run `particle-bootupctl install`.",
      context: { boot },
      exit: "notFound",
    }),
  stateInvalid: (file: string, detail: string) =>
    new ParticleError({
      code: "BOOTUPD_STATE_INVALID",
      message: `the bootloader state ${file} is not valid: ${detail}`,
      hint: "Restore it from a backup, or remove it and run `particle-bootupctl adopt-and-update`.",
      context: { path: file },
      exit: "integrity",
    }),
  unsignedChain: (file: string, detail: string) =>
    new ParticleError({
      code: "SECUREBOOT_UNSIGNED",
      message: `refusing to install an unsigned boot chain: ${file} ${detail}`,
      hint: "Install shim-signed and grub-efi-amd64-signed in the image, or pass --sb-key and --sb-cert to sign with your own key.",
      context: { path: file },
      exit: "integrity",
    }),
  signingKey: (detail: string, file: string) =>
    new ParticleError({
      code: "SECUREBOOT_KEY_INVALID",
      message: `cannot use the signing key: ${detail}`,
      hint: "Pass a PEM private key (--sb-key), its certificate (--sb-cert) and, for an encrypted key, its passphrase in PARTICLE_SB_PASSPHRASE.",
      context: { path: file },
      exit: "invalidInput",
    }),
  signingKeyRequired: (backend: string) =>
    new ParticleError({
      code: "SECUREBOOT_KEY_REQUIRED",
      message: `${backend} was installed with binaries signed by your key; updating it needs that key again`,
      hint: "Pass --sb-key and --sb-cert (and PARTICLE_SB_PASSPHRASE for an encrypted key).",
      context: { backend },
      exit: "usage",
    }),
  grubEnvFull: (bytes: number) =>
    new ParticleError({
      code: "GRUBENV_FULL",
      message: `grubenv: the variables (${bytes} bytes) do not fit in 1024 bytes`,
      hint: "Put fewer entries on probation (tries), or give them shorter ids.",
      context: { bytes },
      exit: "invalidInput",
    }),
  grubEnvInvalid: (name: string) =>
    new ParticleError({
      code: "GRUBENV_INVALID",
      message: `grubenv: invalid variable name ${name}`,
      hint: "Remove the variable from grubenv (`grub-editenv FILE unset NAME`), then retry.",
      context: { variable: name },
      exit: "invalidInput",
    }),
  secureBootNotUefi: (backend: string) =>
    new ParticleError({
      code: "SECUREBOOT_NOT_UEFI",
      message: `${backend} is a BIOS bootloader: Secure Boot does not apply`,
      hint: "Choose grub-efi or systemd-boot for Secure Boot.",
      context: { backend },
      exit: "usage",
    }),
  biosBootPartitionMissing: (disk: string, typeGuid: string) =>
    new ParticleError({
      code: "BIOS_BOOT_PARTITION_MISSING",
      message: `${disk} has no BIOS boot partition (GPT type ${typeGuid})`,
      hint: "Add a 1 MiB partition of type 'BIOS boot' (sfdisk type 21686148-6449-6E6F-744E-656564454649).",
      context: { disk },
      exit: "invalidInput",
    }),
  biosBootPartitionSmall: (coreBytes: number) =>
    new ParticleError({
      code: "BIOS_BOOT_PARTITION_SMALL",
      message: `core.img (${coreBytes} bytes) does not fit in half of the BIOS boot partition`,
      hint: "Make the BIOS boot partition at least 1 MiB.",
      exit: "invalidInput",
    }),
  grubImageInvalid: (detail: string) =>
    new ParticleError({
      code: "GRUB_IMAGE_INVALID",
      message: `GRUB's BIOS boot code cannot be placed: ${detail}`,
      hint: "The image's GRUB for BIOS is damaged or of a layout this version does not know: reinstall grub-pc-bin in the image.",
      exit: "invalidInput",
    }),
  partitionNotFound: (disk: string, partition: number) =>
    new ParticleError({
      code: "PARTITION_NOT_FOUND",
      message: `${disk} has no partition ${partition}`,
      hint: "Check the partition number with `sfdisk --list`.",
      context: { disk, partition },
      exit: "notFound",
    }),
  espPartitionNeedsDisk: () =>
    new ParticleError({
      code: "USAGE",
      message: "--esp-partition needs --disk",
      hint: "Name the disk image with --disk.",
      exit: "usage",
    }),
  oneshotUnsupported: (backend: string, why: string) =>
    new ParticleError({
      code: "ONESHOT_UNSUPPORTED",
      message: `${backend} cannot boot an entry once here: ${why}`,
      hint: "Run it on the booted system (EFI variables are needed), or omit --oneshot.",
      context: { backend },
      exit: "unavailable",
    }),
};
