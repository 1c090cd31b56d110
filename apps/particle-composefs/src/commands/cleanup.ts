import { defineCommand } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const cleanupCommand = defineCommand({
  path: ["cleanup"],
  summary:
    "Undo stale mounts (a crash mid-mount, an overlay unmounted by hand) and recover interrupted operations",
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const report = await store.cleanup();
    ctx.out.result(
      "Cleanup",
      {
        cleaned: report.cleaned.map((r) => ({ target: r.target, ref: r.ref, state: r.state })),
        active: report.active.length,
      },
      (r) =>
        [
          ...r.cleaned.map((c) => `cleaned ${c.target} (${c.ref}, ${c.state})`),
          `${r.cleaned.length} stale mount(s) cleaned, ${r.active} active`,
        ].join("\n"),
    );
    return 0;
  },
});
