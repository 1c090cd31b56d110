import { defineCommand, table } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";
import { imageTable, summarize } from "../render.js";

export const listCommand = defineCommand({
  path: ["list"],
  summary: "List the images (tags) in the store, or with --mounts the store's mounts",
  options: { ...storeOptions, mounts: { type: "boolean" } },
  optionHelp: { ...storeOptionHelp, mounts: "list mounted stacks instead" },
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    if (parsed.values.mounts) {
      const mounts = await store.mounts();
      ctx.out.result("MountList", { mounts }, (doc) =>
        doc.mounts.length === 0
          ? "no mounts"
          : table(
              ["TARGET", "IMAGE", "MODE", "STATE"],
              doc.mounts.map((m) => [m.target, m.ref, m.writable.kind, m.state]),
            ),
      );
      return 0;
    }
    const images = (await store.list()).map(summarize);
    ctx.out.result("ImageList", { images }, (doc) => imageTable(doc.images));
    return 0;
  },
});
