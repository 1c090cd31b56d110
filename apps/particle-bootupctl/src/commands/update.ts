import { adoptAndUpdate, updateBootloader, withTarget } from "@particle/bootupd";
import { defineCommand } from "@particle/cli-kit";
import {
  lockTimeoutMs,
  parseSigning,
  sourceHelp,
  sourceOf,
  sourceOptions,
  targetHelp,
  targetInput,
  targetOptions,
} from "./options.js";
import { renderInstallReport } from "./report.js";

export const updateCommand = defineCommand({
  path: ["update"],
  summary: "Bring the bootloader to the version the image carries (finishes an interrupted update first)",
  options: { ...targetOptions, ...sourceOptions },
  optionHelp: { ...targetHelp, ...sourceHelp },
  async run(ctx, parsed) {
    const report = await withTarget(targetInput(parsed), { write: true }, (target) =>
      updateBootloader(target, {
        source: sourceOf(parsed),
        signing: parseSigning(parsed),
        lockTimeoutMs: lockTimeoutMs(parsed),
      }),
    );
    ctx.logger.info(
      { backend: report.backend, changed: report.changed, recovered: report.recovered },
      "bootloader updated",
    );
    ctx.out.result("BootloaderUpdate", report, renderInstallReport);
    return 0;
  },
});

export const adoptCommand = defineCommand({
  path: ["adopt-and-update"],
  summary: "Take over a bootloader installed by something else, then update it",
  options: { ...targetOptions, ...sourceOptions, "secure-boot": { type: "boolean" } },
  optionHelp: { ...targetHelp, ...sourceHelp, "secure-boot": "require a signed chain from now on" },
  async run(ctx, parsed) {
    const report = await withTarget(targetInput(parsed), { write: true }, (target) =>
      adoptAndUpdate(target, {
        source: sourceOf(parsed),
        signing: parseSigning(parsed),
        secureBoot: Boolean(parsed.values["secure-boot"]),
        lockTimeoutMs: lockTimeoutMs(parsed),
      }),
    );
    ctx.logger.info({ backend: report.backend, origin: report.origin }, "bootloader adopted");
    ctx.out.result("BootloaderUpdate", report, renderInstallReport);
    return 0;
  },
});
