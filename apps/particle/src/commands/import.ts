import { defineCommand, stringOption } from "@particle/cli-kit";
import { type ImportResult, importImage, parsePlatform } from "@particle/oci";
import { layerProgress, openStore, transportOptions } from "./oci-context.js";

export const importOptions = { platform: { type: "string" } } as const;
export const importOptionHelp = {
  platform: "os/arch[/variant] to pick from a multi-platform image (default: this machine)",
};

export function renderImport(doc: ImportResult): string {
  return [
    `${doc.source} -> ${doc.image}`,
    `manifest ${doc.manifestDigest}`,
    ...doc.layers.map((l) => `  ${l.source.slice(0, 19)} -> ${l.digest.slice(0, 19)}  ${l.status}`),
  ].join("\n");
}

export const importCommand = defineCommand({
  path: ["import"],
  summary: "Import an image from oci:, oci-archive:, docker-archive: or docker:// into the store",
  usage: "SOURCE NAME[:TAG]",
  args: 2,
  options: importOptions,
  optionHelp: importOptionHelp,
  async run(ctx, parsed) {
    const [source, name] = parsed.positionals as [string, string];
    const platform = stringOption(parsed, "platform");
    const store = await openStore(ctx);
    const progress = layerProgress(ctx, "import");
    const layer = ctx.settings.layer;
    const result = await importImage(store, source, name, {
      ...transportOptions(ctx),
      ...(platform ? { platform: parsePlatform(platform) } : {}),
      layerFormat: layer.format,
      layerCompression: layer.compression,
      layerLevel: layer.compression_level,
      onProgress: progress.onProgress,
    }).finally(() => progress.done());
    ctx.logger.info({ source, image: result.image, digest: result.manifestDigest }, "image imported");
    ctx.out.result("ImageImport", result, renderImport);
    return 0;
  },
});
