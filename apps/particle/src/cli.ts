import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { configCommands } from "./commands/config.js";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { inspectCommand } from "./commands/inspect.js";
import { loginCommand } from "./commands/login.js";
import { logoutCommand } from "./commands/logout.js";
import { logrotateCommand } from "./commands/logrotate.js";
import { pullCommand } from "./commands/pull.js";
import { pushCommand } from "./commands/push.js";

export const particleCli: CliSpec = {
  name: "particle",
  version: pkg.version,
  summary: "Particle-OS settings, logs and image transport",
  commands: [
    ...configCommands,
    logrotateCommand,
    exportCommand,
    importCommand,
    pushCommand,
    pullCommand,
    inspectCommand,
    loginCommand,
    logoutCommand,
  ],
};
