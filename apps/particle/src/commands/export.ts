import { defineCommand, formatBytes } from "@particle/cli-kit";
import { type ExportOptions, type ExportResult, exportImage } from "@particle/oci";
import { ParticleError } from "@particle/runtime";
import { layerProgress, openStore, transportOptions } from "./oci-context.js";

export const exportOptions = {
  compression: { type: "string" },
  level: { type: "string" },
  chunked: { type: "boolean" },
  "max-layers": { type: "string" },
  native: { type: "boolean" },
} as const;

export const exportOptionHelp = {
  compression: "tar layer compression: gzip (default), zstd or none",
  level: "compression level",
  chunked: "regroup files into layers by owning dpkg package (small pulls after upgrades)",
  "max-layers": "layer budget of --chunked (default 64)",
  native: "ship the store's squashfs/erofs layers unchanged (for Particle machines)",
};

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ParticleError({
      code: "USAGE",
      message: `--${flag} ${value}: expected a whole number`,
      hint: `For example: --${flag} 8`,
      exit: "usage",
    });
  }
  return n;
}

/** Flags shared by export and push, as library options (pure). */
export function parseExportFlags(
  values: Readonly<Record<string, unknown>>,
): Pick<ExportOptions, "compression" | "level" | "chunked" | "maxLayers" | "format"> {
  const compression = values.compression as string | undefined;
  if (compression !== undefined && !["gzip", "zstd", "none"].includes(compression)) {
    throw new ParticleError({
      code: "USAGE",
      message: `--compression ${compression}: expected gzip, zstd or none`,
      hint: "Registries and Docker read gzip; zstd is smaller.",
      exit: "usage",
    });
  }
  return {
    ...(compression ? { compression: compression as "gzip" } : {}),
    ...(values.level !== undefined ? { level: integer(values.level as string, "level") } : {}),
    ...(values.chunked ? { chunked: true } : {}),
    ...(values["max-layers"] !== undefined
      ? { maxLayers: integer(values["max-layers"] as string, "max-layers") }
      : {}),
    ...(values.native ? { format: "native" as const } : {}),
  };
}

export function renderExport(doc: ExportResult): string {
  const lines = doc.layers.map(
    (l) =>
      `  ${l.digest.slice(0, 19)}  ${formatBytes(l.size).padStart(10)}  ${l.status}${l.packages?.length ? `  ${l.packages.slice(0, 4).join(",")}${l.packages.length > 4 ? ",…" : ""}` : ""}`,
  );
  return [`${doc.source} -> ${doc.destination}`, `manifest ${doc.manifestDigest}`, ...lines].join("\n");
}

export const exportCommand = defineCommand({
  path: ["export"],
  summary: "Export a store image to oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker://HOST/REPO:TAG",
  usage: "IMAGE DEST",
  args: 2,
  options: exportOptions,
  optionHelp: exportOptionHelp,
  async run(ctx, parsed) {
    const [image, dest] = parsed.positionals as [string, string];
    const store = await openStore(ctx);
    const progress = layerProgress(ctx, "export");
    const result = await exportImage(store, image, dest, {
      ...transportOptions(ctx),
      ...parseExportFlags(parsed.values),
      onProgress: progress.onProgress,
    }).finally(() => progress.done());
    ctx.logger.info({ image, dest: result.destination, digest: result.manifestDigest }, "image exported");
    ctx.out.result("ImageExport", result, renderExport);
    return 0;
  },
});
