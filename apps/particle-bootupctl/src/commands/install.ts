import { installBootloader, withTarget } from "@particle/bootupd";
import { defineCommand } from "@particle/cli-kit";
import {
  lockTimeoutMs,
  parseSigning,
  requiredOption,
  sourceHelp,
  sourceOf,
  sourceOptions,
  targetHelp,
  targetInput,
  targetOptions,
} from "./options.js";
import { renderInstallReport } from "./report.js";

export const installCommand = defineCommand({
  path: ["install"],
  summary: "Install a bootloader from an image onto an ESP, a boot filesystem and a disk",
  options: {
    ...targetOptions,
    ...sourceOptions,
    backend: { type: "string" },
    "secure-boot": { type: "boolean" },
  },
  optionHelp: {
    ...targetHelp,
    ...sourceHelp,
    backend: "grub-efi, grub-bios, systemd-boot or extlinux (lilo is detected but cannot be installed)",
    "secure-boot": "require a signed chain: shim + signed GRUB, or binaries signed with --sb-key",
  },
  async run(ctx, parsed) {
    const backend = requiredOption(parsed, "backend", "grub-efi");
    const report = await withTarget(targetInput(parsed), { write: true }, (target) =>
      installBootloader(target, {
        backend,
        source: sourceOf(parsed),
        secureBoot: Boolean(parsed.values["secure-boot"]),
        signing: parseSigning(parsed),
        lockTimeoutMs: lockTimeoutMs(parsed),
      }),
    );
    ctx.logger.info({ backend: report.backend, changed: report.changed }, "bootloader installed");
    ctx.out.result("BootloaderInstall", report, renderInstallReport);
    return 0;
  },
});
