import { defineCommand, formatBytes } from "@particle/cli-kit";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";
import { summarize } from "../render.js";

export const infoCommand = defineCommand({
  path: ["info"],
  summary: "Show an image: digest, layers (bottom first), labels, parent, manifest and config",
  usage: "IMAGE",
  args: 1,
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const image = await store.resolve(parsed.positionals[0] as string);
    const doc = {
      image: summarize(image),
      parent: image.parent ?? null,
      builtBy: image.builtBy ?? null,
      labels: image.labels,
      layers: image.layers,
      manifest: image.manifest,
      config: image.config,
    };
    ctx.out.result("ImageInfo", doc, (d) =>
      [
        `image:    ${d.image.ref}`,
        `digest:   ${d.image.manifestDigest}`,
        `created:  ${d.image.created}`,
        ...(d.parent ? [`parent:   ${d.parent}`] : []),
        ...(d.builtBy ? [`built by: ${d.builtBy}`] : []),
        ...Object.entries(d.labels).map(([k, v]) => `label:    ${k}=${v}`),
        `layers:   ${d.layers.length} (${formatBytes(d.image.size)}), bottom first:`,
        ...d.layers.map((l) => `  ${l.digest} ${formatBytes(l.size)} ${l.mediaType.split(".").pop()}`),
      ].join("\n"),
    );
    return 0;
  },
});
