import { defineCommand } from "@particle/cli-kit";
import { exportImage } from "@particle/oci";
import { exportOptionHelp, exportOptions, parseExportFlags, renderExport } from "./export.js";
import { layerProgress, openStore, transportOptions } from "./oci-context.js";

/** `push IMAGE HOST/REPO:TAG`: export to a registry (the docker:// prefix is optional). */
export const pushCommand = defineCommand({
  path: ["push"],
  summary: "Push a store image to a registry (tar layers, or --native squashfs layers)",
  usage: "IMAGE [docker://]HOST/REPO[:TAG]",
  args: 2,
  options: exportOptions,
  optionHelp: exportOptionHelp,
  async run(ctx, parsed) {
    const [image, target] = parsed.positionals as [string, string];
    const dest = target.startsWith("docker://") ? target : `docker://${target}`;
    const store = await openStore(ctx);
    const progress = layerProgress(ctx, "push");
    const result = await exportImage(store, image, dest, {
      ...transportOptions(ctx),
      ...parseExportFlags(parsed.values),
      onProgress: progress.onProgress,
    }).finally(() => progress.done());
    ctx.logger.info({ image, dest: result.destination, digest: result.manifestDigest }, "image pushed");
    ctx.out.result("ImagePush", result, renderExport);
    return 0;
  },
});
