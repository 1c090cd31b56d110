import { diffImages, imageSbom, listImagePackages, packageNameOf } from "@particle/apt-layer";
import { defineCommand, stringOption, table } from "@particle/cli-kit";
import { writeFileAtomic } from "@particle/runtime";
import pkg from "../../package.json" with { type: "json" };
import { open } from "../open.js";

export const listCommand = defineCommand({
  path: ["list"],
  usage: "IMAGE",
  summary: "List an image's packages (and which were requested by apt-layer)",
  args: 1,
  options: { requested: { type: "boolean" } },
  optionHelp: { requested: "only the packages requested with apt-layer (what rebase re-applies)" },
  async run(ctx, parsed) {
    const result = await listImagePackages((await open(ctx)).store, parsed.positionals[0] as string);
    const requestedOnly = Boolean(parsed.values.requested);
    ctx.out.result("PackageList", requestedOnly ? { ...result, packages: [] } : result, (d) =>
      requestedOnly
        ? d.requested.join("\n")
        : table(
            ["NAME", "ARCH", "VERSION", "REQUESTED", "ORIGIN"],
            d.packages.map((p) => [
              p.name,
              p.architecture,
              p.version,
              d.requested.some((r) => packageNameOf(r) === p.name) ? "yes" : "",
              p.origin === "local" ? `local .deb sha256:${p.sha256}` : "",
            ]),
          ),
    );
    return 0;
  },
});

export const diffCommand = defineCommand({
  path: ["diff"],
  usage: "A B",
  summary: "Packages added, removed, upgraded and downgraded from image A to image B",
  args: 2,
  async run(ctx, parsed) {
    const [a, b] = parsed.positionals as [string, string];
    const diff = await diffImages((await open(ctx)).store, a, b);
    ctx.out.result(
      "PackageDiff",
      diff,
      (d) =>
        [
          ...d.added.map((p) => `+ ${p.name}:${p.architecture} ${p.version}`),
          ...d.removed.map((p) => `- ${p.name}:${p.architecture} ${p.version}`),
          ...d.upgraded.map((c) => `↑ ${c.name}:${c.architecture} ${c.from} -> ${c.to}`),
          ...d.downgraded.map((c) => `↓ ${c.name}:${c.architecture} ${c.from} -> ${c.to}`),
        ].join("\n") || "no package changes",
    );
    return 0;
  },
});

export const sbomCommand = defineCommand({
  path: ["sbom"],
  usage: "IMAGE",
  summary: "Print an SPDX 2.3 JSON SBOM of an image (or write it with --output)",
  args: 1,
  options: { output: { type: "string", short: "o" } },
  optionHelp: { output: "write the SPDX document to this file (atomically) instead of stdout" },
  async run(ctx, parsed) {
    const doc = await imageSbom(
      (await open(ctx)).store,
      parsed.positionals[0] as string,
      `apt-layer-${pkg.version}`,
    );
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    const output = stringOption(parsed, "output");
    if (output) {
      await writeFileAtomic(output, text);
      ctx.out.result(
        "Sbom",
        { output, packages: doc.packages.length - 1 },
        (d) => `wrote ${d.output} (${d.packages} packages)`,
      );
    } else if (ctx.globals.json) {
      ctx.out.result("Sbom", { sbom: doc });
    } else {
      ctx.out.text(text.trimEnd());
    }
    return 0;
  },
});
