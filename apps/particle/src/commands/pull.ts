import { defineCommand } from "@particle/cli-kit";
import { parseRegistryRef } from "@particle/oci";
import { importOptionHelp, importOptions, importWithProgress, renderImport } from "./import.js";

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
    const result = await importWithProgress(
      ctx,
      parsed,
      { transport: "docker", registry: ref },
      name,
      "pull",
    );
    ctx.logger.info({ source, image: result.image, digest: result.manifestDigest }, "image pulled");
    ctx.out.result("ImagePull", result, renderImport);
    return 0;
  },
});
