import { defineCommand } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const removeCommand = defineCommand({
  path: ["remove"],
  summary: "Remove a tag and its history, or every tag of a sha256: manifest digest (space is freed by gc)",
  usage: "IMAGE",
  args: 1,
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const ref = parsed.positionals[0] as string;
    const result = await store.remove(ref);
    ctx.out.result(
      "Removal",
      { ref, ...result },
      (r) => `removed ${r.ref} (${r.removed.length} manifest(s) unreferenced; run gc to free space)`,
    );
    return 0;
  },
});
