import { defineCommand, formatBytes } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const restoreCommand = defineCommand({
  path: ["restore"],
  summary: "Restore the images of a backup archive into the store, verifying every blob",
  usage: "ARCHIVE",
  args: 1,
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed, { create: true });
    const report = await store.restore(parsed.positionals[0] as string);
    ctx.out.result(
      "Restore",
      report,
      (r) =>
        `restored ${r.refs.join(", ")} (${r.blobs} blobs, ${formatBytes(r.bytes)}; ${r.reused} already present)`,
    );
    return 0;
  },
});
