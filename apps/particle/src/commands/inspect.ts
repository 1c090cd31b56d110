import { defineCommand, formatBytes, stringOption } from "@particle/cli-kit";
import { inspectImage, parsePlatform } from "@particle/oci";
import { transportOptions } from "./oci-context.js";

export const inspectCommand = defineCommand({
  path: ["inspect"],
  summary: "Describe an image in oci:, oci-archive:, docker-archive: or docker:// (layers, packages, labels)",
  usage: "REF",
  args: 1,
  options: { platform: { type: "string" }, tags: { type: "boolean" } },
  optionHelp: {
    platform: "os/arch[/variant] of a multi-platform image",
    tags: "also list the repository's tags (docker://)",
  },
  async run(ctx, parsed) {
    const platform = stringOption(parsed, "platform");
    const report = await inspectImage(parsed.positionals[0] as string, {
      ...transportOptions(ctx),
      ...(platform ? { platform: parsePlatform(platform) } : {}),
      tags: Boolean(parsed.values.tags),
    });
    ctx.out.result("ImageInspection", report, (r) =>
      [
        r.reference,
        `manifest  ${r.manifestDigest}`,
        `platform  ${r.os ?? "?"}/${r.architecture ?? "?"}`,
        ...(r.created ? [`created   ${r.created}`] : []),
        `layers    ${r.layers.length}`,
        ...r.layers.map(
          (l) =>
            `  ${l.digest.slice(0, 19)}  ${formatBytes(l.size).padStart(10)}  ${l.mediaType}${l.packages ? `  ${l.packages.length} packages` : ""}`,
        ),
        ...Object.entries(r.labels).map(([k, v]) => `label     ${k}=${v}`),
        ...(r.tags ? [`tags      ${r.tags.join(" ")}`] : []),
      ].join("\n"),
    );
    return 0;
  },
});
