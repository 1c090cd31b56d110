import { aptLayerDirs, readAuditLog, statePaths, verifyAuditLog } from "@particle/apt-layer";
import { defineCommand, table } from "@particle/cli-kit";

export const auditVerifyCommand = defineCommand({
  path: ["audit", "verify"],
  summary: "Check the audit log's hash chain; fails (exit 6) at the first tampered entry",
  async run(ctx) {
    const file = statePaths(aptLayerDirs(ctx.settings)).audit;
    const report = await verifyAuditLog(file);
    ctx.out.result(
      "AuditVerification",
      { file, ...report, valid: true },
      (d) => `${d.file}: ${d.entries} entries, chain intact`,
    );
    return 0;
  },
});

export const auditShowCommand = defineCommand({
  path: ["audit", "show"],
  summary: "Print the audit log (who, what, when, result)",
  async run(ctx) {
    const entries = await readAuditLog(statePaths(aptLayerDirs(ctx.settings)).audit);
    ctx.out.result("AuditLog", { entries }, (d) =>
      table(
        ["SEQ", "TIME", "USER", "OP", "TARGET", "RESULT"],
        d.entries.map((e) => [
          String(e.seq),
          e.time,
          e.user.name,
          e.op,
          e.target,
          e.result + (e.error ? `: ${e.error.split("\n")[0]}` : ""),
        ]),
      ),
    );
    return 0;
  },
});
