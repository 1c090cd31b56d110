import { ociExport, ociImport, ociTransportOptions } from "@particle/apt-layer";
import { defineCommand } from "@particle/cli-kit";
import { open } from "../open.js";

export const ociExportCommand = defineCommand({
  path: ["oci", "export"],
  usage: "IMAGE REF",
  summary: "Export an image to a registry or OCI layout (--oci-export; via @particle/oci)",
  args: 2,
  async run(ctx, parsed) {
    const [image, ref] = parsed.positionals as [string, string];
    const result = await ociExport((await open(ctx)).store, image, ref, ociTransportOptions(ctx.settings));
    ctx.out.result("OciExport", { image, ref, result }, (d) => `exported ${d.image} to ${d.ref}`);
    return 0;
  },
});

export const ociImportCommand = defineCommand({
  path: ["oci", "import"],
  usage: "REF IMAGE",
  summary: "Import an OCI image as a store image, e.g. a base (--oci-import; via @particle/oci)",
  args: 2,
  async run(ctx, parsed) {
    const [ref, image] = parsed.positionals as [string, string];
    const result = await ociImport(
      (await open(ctx, { createStore: true })).store,
      ref,
      image,
      ociTransportOptions(ctx.settings),
    );
    ctx.out.result("OciImport", { image, ref, result }, (d) => `imported ${d.ref} as ${d.image}`);
    return 0;
  },
});
