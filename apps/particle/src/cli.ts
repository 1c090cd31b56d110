import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { configCommands } from "./commands/config.js";
import { logrotateCommand } from "./commands/logrotate.js";

export const particleCli: CliSpec = {
  name: "particle",
  version: pkg.version,
  summary: "Particle-OS settings, logs and image transport",
  commands: [...configCommands, logrotateCommand],
};
