import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { backupCommand } from "./commands/backup.js";
import { cleanupCommand } from "./commands/cleanup.js";
import { createCommand } from "./commands/create.js";
import { gcCommand } from "./commands/gc.js";
import { historyCommand } from "./commands/history.js";
import { infoCommand } from "./commands/info.js";
import { listCommand } from "./commands/list.js";
import { mountCommand } from "./commands/mount.js";
import { removeCommand } from "./commands/remove.js";
import { restoreCommand } from "./commands/restore.js";
import { rollbackCommand } from "./commands/rollback.js";
import { unmountCommand } from "./commands/unmount.js";
import { verifyCommand } from "./commands/verify.js";

export const composefsCli: CliSpec = {
  name: "particle-composefs",
  version: pkg.version,
  summary: "the Particle-OS image store: content-addressed layers, images, mounts, verify, gc, backup",
  commands: [
    createCommand,
    mountCommand,
    unmountCommand,
    listCommand,
    infoCommand,
    historyCommand,
    verifyCommand,
    removeCommand,
    gcCommand,
    backupCommand,
    restoreCommand,
    rollbackCommand,
    cleanupCommand,
  ],
};
