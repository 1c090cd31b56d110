import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { markGoodCommand, writeEntriesCommand } from "./commands/entries.js";
import { installCommand } from "./commands/install.js";
import { statusCommand } from "./commands/status.js";
import { adoptCommand, updateCommand } from "./commands/update.js";
import { validateCommand } from "./commands/validate.js";

export const bootupctlCli: CliSpec = {
  name: "particle-bootupctl",
  version: pkg.version,
  summary: "Particle-OS bootloader install, update and validation (GRUB, systemd-boot, extlinux)",
  commands: [
    statusCommand,
    installCommand,
    updateCommand,
    adoptCommand,
    validateCommand,
    writeEntriesCommand,
    markGoodCommand,
  ],
};
