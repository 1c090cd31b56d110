import { defineCommand, table } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const historyCommand = defineCommand({
  path: ["history"],
  summary: "Show where a tag points and where it pointed before (newest first)",
  usage: "NAME[:TAG]",
  args: 1,
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const history = await store.history(parsed.positionals[0] as string);
    ctx.out.result("TagHistory", history, (h) =>
      [
        `${h.ref} -> ${h.current ?? "(removed)"}`,
        h.previous.length === 0
          ? "no previous images"
          : table(
              ["PREVIOUS", "TAGGED", "REPLACED"],
              h.previous.map((p) => [p.manifestDigest, p.tagged ?? "", p.replaced ?? ""]),
            ),
      ].join("\n"),
    );
    return 0;
  },
});
