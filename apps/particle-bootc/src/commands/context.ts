import path from "node:path";
import { type ImageImporter, ociImporter, openSysroot, type Sysroot } from "@particle/bootc";
import { type CommandContext, type Parsed, stringOption } from "@particle/cli-kit";

/** `--sysroot DIR` and `--esp DIR`, shared by the verbs that act on deployments. */
export const sysrootOption = { sysroot: { type: "string" }, esp: { type: "string" } } as const;
export const sysrootHelp = {
  sysroot: "the physical root (default: paths.sysroot, /sysroot on a booted system)",
  esp: "a mounted ESP, for a sysroot installed with systemd-boot (default: the ESP systemd-boot booted from)",
};

export function sysrootOf(ctx: CommandContext, parsed: Parsed): Promise<Sysroot> {
  const esp = stringOption(parsed, "esp");
  return openSysroot(stringOption(parsed, "sysroot") ?? ctx.settings.paths.sysroot, {
    runDir: ctx.settings.paths.run,
    ...(esp ? { esp } : {}),
  });
}

export function importerOf(ctx: CommandContext): ImageImporter {
  return ociImporter({
    authFile: ctx.settings.registry.auth_file,
    insecure: ctx.settings.registry.insecure,
    workDir: path.join(ctx.settings.paths.cache, "bootc-import"),
  });
}
