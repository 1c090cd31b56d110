import { type CommandContext, defineCommand, type Parsed, stringOption } from "@particle/cli-kit";
import { type ImportResult, importImage, parsePlatform, type TransportRef } from "@particle/oci";
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

/** Imports into the store with the settings' layer format, a progress bar and `--platform`: shared by import and pull. */
export async function importWithProgress(
  ctx: CommandContext,
  parsed: Parsed,
  source: string | TransportRef,
  name: string,
  label: string,
): Promise<ImportResult> {
  const platform = stringOption(parsed, "platform");
  const store = await openStore(ctx);
  const progress = layerProgress(ctx, label);
  const layer = ctx.settings.layer;
  return importImage(store, source, name, {
    ...transportOptions(ctx),
    ...(platform ? { platform: parsePlatform(platform) } : {}),
    layerFormat: layer.format,
    layerCompression: layer.compression,
    layerLevel: layer.compression_level,
    onProgress: progress.onProgress,
  }).finally(() => progress.done());
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
    const result = await importWithProgress(ctx, parsed, source, name, "import");
    ctx.logger.info({ source, image: result.image, digest: result.manifestDigest }, "image imported");
    ctx.out.result("ImageImport", result, renderImport);
    return 0;
  },
});
