import { defineCommand, stringOption, usageError } from "@particle/cli-kit";
import type { Writable } from "@particle/composefs";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

function writable(
  mode: string | undefined,
  upper: string | undefined,
  work: string | undefined,
): Writable | undefined {
  if (upper !== undefined || work !== undefined) {
    if (upper === undefined || work === undefined || mode !== undefined) {
      throw usageError(
        "--upper and --work go together, without --writable",
        "Pass both --upper DIR and --work DIR (on one filesystem), or --writable tmpfs.",
      );
    }
    return { upper, work };
  }
  if (mode === undefined) return undefined;
  if (mode !== "tmpfs")
    throw usageError(
      `--writable ${mode}: expected tmpfs`,
      "Use --writable tmpfs, or --upper DIR --work DIR.",
    );
  return "tmpfs";
}

export const mountCommand = defineCommand({
  path: ["mount"],
  summary: "Mount an image: each layer loop-mounted read-only, stacked with overlayfs at TARGET",
  usage: "IMAGE TARGET",
  args: 2,
  options: {
    ...storeOptions,
    writable: { type: "string" },
    upper: { type: "string" },
    work: { type: "string" },
    force: { type: "boolean" },
  },
  optionHelp: {
    ...storeOptionHelp,
    writable: "tmpfs: a writable upper on a fresh tmpfs (changes vanish on unmount)",
    upper: "a directory to keep changes in (with --work, on the same filesystem)",
    work: "overlayfs work directory for --upper",
    force: "mount even if a layer is missing or corrupt",
  },
  async run(ctx, parsed) {
    const [ref, target] = parsed.positionals as [string, string];
    const store = await openStore(ctx, parsed);
    const mode = writable(
      stringOption(parsed, "writable"),
      stringOption(parsed, "upper"),
      stringOption(parsed, "work"),
    );
    const record = await store.mount(ref, target, {
      ...(mode ? { writable: mode } : {}),
      force: Boolean(parsed.values.force),
    });
    ctx.out.result(
      "Mount",
      { mount: record },
      (doc) =>
        `mounted ${doc.mount.ref} at ${doc.mount.target} (${doc.mount.layers.length} layers, ${doc.mount.writable.kind})`,
    );
    return 0;
  },
});
