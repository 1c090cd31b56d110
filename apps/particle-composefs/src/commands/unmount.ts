import { defineCommand } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const unmountCommand = defineCommand({
  path: ["unmount"],
  summary: "Unmount a stack mounted by the store, with its layer mounts and tmpfs",
  usage: "TARGET",
  args: 1,
  options: { ...storeOptions, lazy: { type: "boolean" } },
  optionHelp: { ...storeOptionHelp, lazy: "detach even while in use (umount --lazy)" },
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const record = await store.unmount(parsed.positionals[0] as string, {
      lazy: Boolean(parsed.values.lazy),
    });
    ctx.out.result("Unmount", { mount: record }, (doc) => `unmounted ${doc.mount.target}`);
    return 0;
  },
});
