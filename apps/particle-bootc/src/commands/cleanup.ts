import { cleanup } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

export const cleanupCommand = defineCommand({
  path: ["cleanup"],
  summary: "Remove deployments and kernels nothing refers to (never the booted, rollback or pinned ones)",
  options: sysrootOption,
  optionHelp: sysrootHelp,
  async run(ctx, parsed) {
    const result = await cleanup(await sysrootOf(ctx, parsed));
    ctx.out.result(
      "Cleanup",
      result,
      (r) =>
        [
          ...r.deployments.map((d) => `removed deployment ${d}`),
          ...r.kernels.map((k) => `removed kernel ${k.slice(0, 12)}`),
        ].join("\n") || "nothing to remove",
    );
    return 0;
  },
});
