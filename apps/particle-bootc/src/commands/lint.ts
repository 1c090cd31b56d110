import path from "node:path";
import { BootcErrors, LINTS, type LintReport, lintImage, lintStoredImage } from "@particle/bootc";
import { defineCommand, stringList, stringOption, table } from "@particle/cli-kit";
import { Store } from "@particle/composefs";
import { ParticleError } from "@particle/runtime";

function render(report: LintReport): string {
  const rows = report.results.map((r) => [r.id, r.level, r.status, r.problems.join("; ")]);
  return table(["LINT", "LEVEL", "STATUS", "PROBLEMS"], rows);
}

export const lintCommand = defineCommand({
  path: ["container", "lint"],
  summary: "Check that an image (a store name:tag, or --rootfs DIR) can be deployed and booted",
  usage: "[IMAGE]",
  args: [0, 1],
  options: {
    rootfs: { type: "string" },
    list: { type: "boolean" },
    skip: { type: "string", multiple: true },
    "fatal-warnings": { type: "boolean" },
  },
  optionHelp: {
    rootfs: "lint a directory tree instead of a store image",
    list: "list the lints and exit",
    skip: "skip the lint with this id (repeatable)",
    "fatal-warnings": "fail on warnings too",
  },
  async run(ctx, parsed) {
    if (parsed.values.list) {
      const lints = LINTS.map((l) => ({ id: l.id, level: l.level, description: l.description }));
      ctx.out.result("LintList", { lints }, (d) =>
        table(
          ["LINT", "LEVEL", "DESCRIPTION"],
          d.lints.map((l) => [l.id, l.level, l.description]),
        ),
      );
      return 0;
    }
    const rootfs = stringOption(parsed, "rootfs");
    const image = parsed.positionals[0];
    if ((rootfs === undefined) === (image === undefined)) {
      throw new ParticleError({
        code: "USAGE",
        message: "give an IMAGE or --rootfs DIR (one of them)",
        hint: "For example: particle-bootc container lint os:latest",
        exit: "usage",
      });
    }
    const options = {
      skip: stringList(parsed, "skip"),
      fatalWarnings: Boolean(parsed.values["fatal-warnings"]),
    };
    const report = rootfs
      ? await lintImage(rootfs, options)
      : await lintStoredImage(
          await Store.open(ctx.settings.paths.store, { runDir: ctx.settings.paths.run }),
          image as string,
          path.join(ctx.settings.paths.run, "lint"),
          options,
        );
    ctx.out.result("LintReport", report, render);
    if (report.failed.length > 0) {
      const error = BootcErrors.lintFailed(report.failed);
      if (!ctx.out.json) throw error;
      return error.exitCode;
    }
    return 0;
  },
});
