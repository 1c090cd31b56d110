import { defineCommand, formatBytes } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const backupCommand = defineCommand({
  path: ["backup"],
  summary: "Write images (with their tag history) to one archive file",
  usage: "ARCHIVE IMAGE...",
  args: [2, Number.POSITIVE_INFINITY],
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const [archive, ...refs] = parsed.positionals as [string, ...string[]];
    const store = await openStore(ctx, parsed);
    const report = await store.backup(refs, archive);
    ctx.out.result(
      "Backup",
      report,
      (r) => `wrote ${r.refs.join(", ")} to ${r.archive} (${r.blobs} blobs, ${formatBytes(r.bytes)})`,
    );
    return 0;
  },
});
