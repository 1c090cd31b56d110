import { defineCommand, stringOption } from "@particle/cli-kit";
import { importImage, parsePlatform, parseRegistryRef } from "@particle/oci";
import { importOptionHelp, importOptions, renderImport } from "./import.js";
import { layerProgress, openStore, transportOptions } from "./oci-context.js";

/** `pull HOST/REPO:TAG [NAME[:TAG]]`: import from a registry; the name defaults to the repository's last part. */
export const pullCommand = defineCommand({
  path: ["pull"],
  summary: "Pull an image from a registry into the store",
  usage: "[docker://]HOST/REPO[:TAG|@DIGEST] [NAME[:TAG]]",
  args: [1, 2],
  options: importOptions,
  optionHelp: importOptionHelp,
  async run(ctx, parsed) {
    const [source, given] = parsed.positionals as [string, string | undefined];
    const text = source.replace(/^docker:\/\//, "");
    const ref = parseRegistryRef(text);
    const name = given ?? `${ref.repository.split("/").pop()}:${ref.tag ?? "latest"}`;
    const platform = stringOption(parsed, "platform");
    const store = await openStore(ctx);
    const progress = layerProgress(ctx, "pull");
    const layer = ctx.settings.layer;
    const result = await importImage(store, { transport: "docker", registry: ref }, name, {
      ...transportOptions(ctx),
      ...(platform ? { platform: parsePlatform(platform) } : {}),
      layerFormat: layer.format,
      layerCompression: layer.compression,
      layerLevel: layer.compression_level,
      onProgress: progress.onProgress,
    }).finally(() => progress.done());
    ctx.logger.info({ source, image: result.image, digest: result.manifestDigest }, "image pulled");
    ctx.out.result("ImagePull", result, renderImport);
    return 0;
  },
});
