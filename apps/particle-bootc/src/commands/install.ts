import { bootupdInstaller, installToDisk, installToFilesystem } from "@particle/bootc";
import { defineCommand, type Parsed, stringList, stringOption } from "@particle/cli-kit";
import { ParticleError } from "@particle/runtime";
import { importerOf } from "./context.js";

const common = {
  image: { type: "string" },
  karg: { type: "string", multiple: true },
  stateroot: { type: "string" },
} as const;
const commonHelp = {
  image: "the image to install (oci:DIR:TAG, docker://…, oci:/var/lib/particle/store:NAME:TAG)",
  karg: "extra kernel argument (repeatable), e.g. console=ttyS0",
  stateroot: 'stateroot name (default "default")',
  "target-imgref": "the reference upgrades follow, if not --image (e.g. the registry the machine will use)",
};

function requireImage(value: string | undefined): string {
  if (value === undefined) {
    throw new ParticleError({
      code: "USAGE",
      message: "--image is required",
      hint: "For example: --image oci:/srv/images/os:latest",
      exit: "usage",
    });
  }
  return value;
}

function trackedOf(parsed: Parsed): { trackedReference?: string } {
  const tracked = stringOption(parsed, "target-imgref");
  return tracked ? { trackedReference: tracked } : {};
}

export const installCommands = [
  defineCommand({
    path: ["install", "to-disk"],
    summary:
      "Partition a disk or disk image file (GPT: ESP + root) and install an image with GRUB or systemd-boot",
    usage: "DEVICE-OR-IMAGE-FILE",
    args: 1,
    options: { ...common, "root-size": { type: "string" }, bootloader: { type: "string" } },
    optionHelp: {
      ...commonHelp,
      "root-size": "root partition size in MiB (default 3072)",
      bootloader: "bootupd backend: grub-efi (default) or systemd-boot (boot entries on the ESP)",
    },
    async run(ctx, parsed) {
      const size = stringOption(parsed, "root-size");
      const stateroot = stringOption(parsed, "stateroot");
      const backend = stringOption(parsed, "bootloader") ?? "grub-efi";
      const result = await installToDisk(parsed.positionals[0] as string, {
        reference: requireImage(stringOption(parsed, "image")),
        ...trackedOf(parsed),
        importer: importerOf(ctx),
        kargs: stringList(parsed, "karg"),
        bootloader: bootupdInstaller(backend),
        bootEntries: backend === "systemd-boot" ? "systemd-boot" : "grub",
        storeRunDir: ctx.settings.paths.run,
        ...(size ? { rootMiB: Number(size) } : {}),
        ...(stateroot ? { stateroot } : {}),
      });
      ctx.out.result("Install", result, (r) => `installed ${r.deployment} (root UUID ${r.layout.rootUuid})`);
      return 0;
    },
  }),
  defineCommand({
    path: ["install", "to-filesystem"],
    summary: "Install an image onto a mounted, empty filesystem (the bootloader is left to the caller)",
    usage: "PATH",
    args: 1,
    options: { ...common, "root-karg": { type: "string" }, esp: { type: "string" } },
    optionHelp: {
      ...commonHelp,
      "root-karg": "how the kernel finds this filesystem, e.g. root=UUID=… (required)",
      esp: "a mounted ESP: boot entries and kernels go there for systemd-boot (default: GRUB's menu on PATH)",
    },
    async run(ctx, parsed) {
      const rootKarg = stringOption(parsed, "root-karg");
      if (rootKarg === undefined || !rootKarg.startsWith("root=")) {
        throw new ParticleError({
          code: "USAGE",
          message: "--root-karg root=… is required",
          hint: "For example: --root-karg root=UUID=$(blkid -s UUID -o value /dev/vda2)",
          exit: "usage",
        });
      }
      const stateroot = stringOption(parsed, "stateroot");
      const esp = stringOption(parsed, "esp");
      const result = await installToFilesystem(parsed.positionals[0] as string, {
        reference: requireImage(stringOption(parsed, "image")),
        ...trackedOf(parsed),
        importer: importerOf(ctx),
        rootKarg,
        kargs: stringList(parsed, "karg"),
        storeRunDir: ctx.settings.paths.run,
        ...(stateroot ? { stateroot } : {}),
        ...(esp ? { esp } : {}),
      });
      ctx.out.result(
        "Install",
        { deployment: result.deployment, sysroot: result.sysroot.root },
        (r) => `installed ${r.deployment} in ${r.sysroot}`,
      );
      return 0;
    },
  }),
];
