import { defineCommand } from "@particle/cli-kit";
import { parseSize, rotateLogs } from "@particle/config";

export const logrotateCommand = defineCommand({
  path: ["logrotate"],
  summary: "Rotate, compress and prune the toolkit's logs (patterns and limits from [logrotate])",
  options: { force: { type: "boolean" } },
  optionHelp: { force: "rotate every non-empty log now, whatever its size and age" },
  async run(ctx, parsed) {
    const s = ctx.settings.logrotate;
    const report = await rotateLogs({
      patterns: s.patterns,
      maxSizeBytes: parseSize(s.max_size),
      maxAgeDays: s.max_age_days,
      keep: s.keep,
      compression: s.compression,
      force: Boolean(parsed.values.force),
    });
    ctx.logger.info({ rotated: report.rotated.length, deleted: report.deleted.length }, "logs rotated");
    ctx.out.result(
      "LogRotation",
      report,
      (r) =>
        [
          ...r.rotated.map((x) => `rotated ${x.from} -> ${x.to}`),
          ...r.compressed.map((x) => `compressed ${x}`),
          ...r.deleted.map((x) => `deleted ${x}`),
          ...r.deferred.map((x) => `deferred ${x} (still open by a writer)`),
        ].join("\n") || "nothing to rotate",
    );
    return 0;
  },
});
