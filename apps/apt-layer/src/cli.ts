import type { CliSpec } from "@particle/cli-kit";
import pkg from "../package.json" with { type: "json" };
import { auditShowCommand, auditVerifyCommand } from "./commands/audit.js";
import { bootstrapCommand, importRootfsCommand } from "./commands/bootstrap.js";
import { composeCommand, validateCommand } from "./commands/compose.js";
import { diffCommand, listCommand, sbomCommand } from "./commands/inspect.js";
import { installCommand, removeCommand, seedCommand } from "./commands/layer.js";
import {
  liveCommitCommand,
  liveInstallCommand,
  liveRollbackCommand,
  liveStatusCommand,
} from "./commands/live.js";
import { ociExportCommand, ociImportCommand } from "./commands/oci.js";
import { rebaseCommand } from "./commands/rebase.js";
import { recoverCommand } from "./commands/recover.js";
import { tenantAddCommand, tenantListCommand } from "./commands/tenant.js";

export const aptLayerCli: CliSpec = {
  name: "apt-layer",
  version: pkg.version,
  summary: "atomic image builds with apt: layers, live overlays, recipes",
  defaultCommand: seedCommand,
  commands: [
    installCommand,
    removeCommand,
    bootstrapCommand,
    importRootfsCommand,
    listCommand,
    diffCommand,
    sbomCommand,
    rebaseCommand,
    liveInstallCommand,
    liveCommitCommand,
    liveRollbackCommand,
    liveStatusCommand,
    composeCommand,
    validateCommand,
    auditVerifyCommand,
    auditShowCommand,
    tenantAddCommand,
    tenantListCommand,
    ociExportCommand,
    ociImportCommand,
    recoverCommand,
  ],
  flagAliases: {
    "--live-install": ["live", "install"],
    "--live-commit": ["live", "commit"],
    "--live-rollback": ["live", "rollback"],
    "--live-status": ["live", "status"],
    "--oci-export": ["oci", "export"],
    "--oci-import": ["oci", "import"],
  },
};
