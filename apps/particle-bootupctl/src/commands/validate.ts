import { type ValidationReport, validateBootloader, withTarget } from "@particle/bootupd";
import { defineCommand } from "@particle/cli-kit";
import { ExitCode } from "@particle/runtime";
import { targetHelp, targetInput, targetOptions } from "./options.js";

function render(report: ValidationReport): string {
  if (report.valid) return `all ${report.checked} recorded files match`;
  return [
    `${report.problems.length} problem(s) in ${report.checked} recorded files:`,
    ...report.problems.map((p) => `  ${p.problem.padEnd(8)} ${p.path}`),
  ].join("\n");
}

export const validateCommand = defineCommand({
  path: ["validate"],
  summary: "Check every bootloader file against the recorded hashes (changed, missing, extra)",
  options: targetOptions,
  optionHelp: targetHelp,
  async run(ctx, parsed) {
    const report = await withTarget(targetInput(parsed), { write: false }, (target) =>
      validateBootloader(target),
    );
    ctx.out.result("BootloaderValidation", report, render);
    return report.valid ? 0 : ExitCode.integrity;
  },
});
