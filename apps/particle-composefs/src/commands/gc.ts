import { defineCommand, formatBytes } from "@particle/cli-kit";
import { numberOption, openStore, storeOptionHelp, storeOptions } from "../open.js";

export const gcCommand = defineCommand({
  path: ["gc"],
  summary: "Delete blobs that no tag, recent history entry or mounted image uses; report bytes freed",
  options: {
    ...storeOptions,
    "keep-history": { type: "string" },
    "min-age": { type: "string" },
    "dry-run": { type: "boolean" },
  },
  optionHelp: {
    ...storeOptionHelp,
    "keep-history": "previous images kept per tag for rollback (default 5)",
    "min-age": "seconds an unreferenced blob is kept after it was written (default 600)",
    "dry-run": "only report what would be deleted",
  },
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const keepHistory = numberOption(parsed, "keep-history");
    const minAge = numberOption(parsed, "min-age");
    const report = await store.gc({
      ...(keepHistory === undefined ? {} : { keepHistory }),
      ...(minAge === undefined ? {} : { minAgeMs: minAge * 1000 }),
      dryRun: Boolean(parsed.values["dry-run"]),
    });
    ctx.out.result(
      "GcReport",
      report,
      (r) =>
        `${r.dryRun ? "would delete" : "deleted"} ${r.removed.length} blob(s), ${formatBytes(r.bytesFreed)} freed; ${r.historyPruned} history entr${r.historyPruned === 1 ? "y" : "ies"} dropped; ${r.kept} blob(s) kept`,
    );
    return 0;
  },
});
