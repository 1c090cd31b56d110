import { defineCommand } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const rollbackCommand = defineCommand({
  path: ["rollback"],
  summary: "Move a tag back to the image it pointed to before (run twice to undo)",
  usage: "NAME[:TAG]",
  args: 1,
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const result = await store.rollback(parsed.positionals[0] as string);
    ctx.out.result("Rollback", result, (r) => `${r.ref}: ${r.from} -> ${r.to}`);
    return 0;
  },
});
