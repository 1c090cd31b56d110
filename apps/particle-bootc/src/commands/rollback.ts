import { rollback } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

export const rollbackCommand = defineCommand({
  path: ["rollback"],
  summary: "Boot the previous deployment next (swaps the default and the rollback)",
  options: sysrootOption,
  optionHelp: sysrootHelp,
  async run(ctx, parsed) {
    const result = await rollback(await sysrootOf(ctx, parsed));
    ctx.out.result("Rollback", result, (r) => `${r.deployment} boots next (was ${r.previous})`);
    return 0;
  },
});
