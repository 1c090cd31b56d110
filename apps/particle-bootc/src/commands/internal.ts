import { finalizeStaged, markBootComplete } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

export const finalizeCommand = defineCommand({
  path: ["finalize-staged"],
  summary:
    "Make the staged deployment the default, merging /etc (run at shutdown by particle-finalize-staged.service)",
  options: sysrootOption,
  optionHelp: sysrootHelp,
  async run(ctx, parsed) {
    const result = await finalizeStaged(await sysrootOf(ctx, parsed));
    ctx.out.result("Finalize", { finalized: result ?? null }, (d) =>
      d.finalized
        ? [
            `${d.finalized.deployment} boots next`,
            ...(d.finalized.etc?.conflicts ?? []).map(
              (p) => `/etc/${p}: changed locally and in the image; kept the local version`,
            ),
          ].join("\n")
        : "nothing staged",
    );
    return 0;
  },
});

export const bootCompleteCommand = defineCommand({
  path: ["boot-complete"],
  summary: "Mark this boot good, ending the boot-counting trial (run by particle-boot-complete.service)",
  options: sysrootOption,
  optionHelp: sysrootHelp,
  async run(ctx, parsed) {
    const result = await markBootComplete(await sysrootOf(ctx, parsed));
    ctx.out.result("BootComplete", result, (r) =>
      r.outcome === "fell-back"
        ? `${r.trial} failed to boot; ${r.booted} is the default again`
        : r.outcome === "marked-good"
          ? `${r.booted} is good`
          : "nothing to do",
    );
    return 0;
  },
});
