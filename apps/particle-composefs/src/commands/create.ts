import { defineCommand, formatBytes, stringList, stringOption, usageError } from "@particle/cli-kit";
import { checkLayerSource, type LayerFormat, parseTagRef } from "@particle/composefs";
import { nonNegative, numberOption, openStore, storeOptionHelp, storeOptions } from "../open.js";
import { summarize } from "../render.js";

function labels(items: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0)
      throw usageError(`--label ${item}: expected KEY=VALUE`, "For example: --label org.example.role=base");
    result[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return result;
}

export const createCommand = defineCommand({
  path: ["create"],
  summary:
    "Make an image from directory trees (one layer each, bottom first), optionally on top of a base image",
  usage: "NAME[:TAG] DIR...",
  args: [2, Number.POSITIVE_INFINITY],
  options: {
    ...storeOptions,
    base: { type: "string" },
    format: { type: "string" },
    compression: { type: "string" },
    level: { type: "string" },
    "source-date-epoch": { type: "string" },
    label: { type: "string", multiple: true },
    "built-by": { type: "string" },
  },
  optionHelp: {
    ...storeOptionHelp,
    base: "put the new layers on top of this image's layers",
    format: "squashfs or erofs (default: layer.format)",
    compression:
      "zstd, gzip, xz, lz4 or none for squashfs; lz4 (lz4hc) or none for erofs (default: layer.compression)",
    level: "compression level (default: layer.compression_level)",
    "source-date-epoch": "fixed timestamp for a reproducible layer (default: $SOURCE_DATE_EPOCH)",
    label: "KEY=VALUE label of the image (repeatable)",
    "built-by": "what built the image, recorded in its manifest",
  },
  async run(ctx, parsed) {
    const [ref, ...dirs] = parsed.positionals as [string, ...string[]];
    const format = (stringOption(parsed, "format") ?? ctx.settings.layer.format) as LayerFormat;
    if (format !== "squashfs" && format !== "erofs") {
      throw usageError(
        `--format ${format}: expected squashfs or erofs`,
        "Pass --format squashfs or --format erofs.",
      );
    }
    // The settings' default compression (zstd) is a squashfs one; erofs then uses its own default.
    const configured = ctx.settings.layer.compression;
    const compression =
      stringOption(parsed, "compression") ??
      (format === "erofs" && configured === "zstd" ? undefined : configured);
    const epochText = stringOption(parsed, "source-date-epoch") ?? process.env.SOURCE_DATE_EPOCH;
    const sourceDateEpoch =
      epochText === undefined ? undefined : nonNegative(epochText, "--source-date-epoch");
    const { name, tag } = parseTagRef(ref);
    const level = numberOption(parsed, "level") ?? ctx.settings.layer.compression_level;
    const imageLabels = labels(stringList(parsed, "label"));
    // Bad input is refused before the store is created.
    for (const dir of dirs) await checkLayerSource(dir);
    const store = await openStore(ctx, parsed, { create: true });
    const base = stringOption(parsed, "base");
    ctx.logger.info({ dirs, format, base }, "creating image");
    const image = await store.createImage({
      name,
      tag,
      dirs,
      ...(base === undefined ? {} : { base }),
      layer: { format, compression, level, sourceDateEpoch },
      labels: imageLabels,
      builtBy: stringOption(parsed, "built-by") ?? "particle-composefs create",
      ...(sourceDateEpoch === undefined ? {} : { created: new Date(sourceDateEpoch * 1000).toISOString() }),
    });
    const summary = summarize(image);
    ctx.out.result(
      "Image",
      { image: summary, layers: image.layers },
      (doc) =>
        `created ${doc.image.ref} ${doc.image.manifestDigest} (${doc.image.layers} layers, ${formatBytes(doc.image.size)})`,
    );
    return 0;
  },
});
