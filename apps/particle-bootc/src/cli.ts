import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { cleanupCommand } from "./commands/cleanup.js";
import { deployCommand, switchCommand } from "./commands/deploy.js";
import { installCommands } from "./commands/install.js";
import { bootCompleteCommand, finalizeCommand } from "./commands/internal.js";
import { kargsCommand } from "./commands/kargs.js";
import { lintCommand } from "./commands/lint.js";
import { pinCommands } from "./commands/pin.js";
import { rollbackCommand } from "./commands/rollback.js";
import { statusCommand } from "./commands/status.js";
import { upgradeCommand } from "./commands/upgrade.js";
import { usroverlayCommand } from "./commands/usroverlay.js";

export const bootcCli: CliSpec = {
  name: "particle-bootc",
  version: pkg.version,
  summary: "bootable Particle-OS deployments",
  commands: [
    statusCommand,
    deployCommand,
    switchCommand,
    upgradeCommand,
    rollbackCommand,
    kargsCommand,
    ...pinCommands,
    cleanupCommand,
    usroverlayCommand,
    lintCommand,
    ...installCommands,
    finalizeCommand,
    bootCompleteCommand,
  ],
};
