import type { ImageInfo } from "@particle/apt-layer";
import { bootstrapDefaults, bootstrapImage, importTree } from "@particle/apt-layer";
import { type CommandContext, defineCommand, stringList, stringOption } from "@particle/cli-kit";
import { open } from "../open.js";

function report(ctx: CommandContext, image: ImageInfo): void {
  ctx.out.result(
    "Image",
    {
      image: `${image.name}:${image.tag}`,
      manifestDigest: image.manifestDigest,
      layers: image.layers.length,
    },
    (d) => `${d.image} ${d.manifestDigest}`,
  );
}

export const bootstrapCommand = defineCommand({
  path: ["bootstrap"],
  usage: "NAME/TAG",
  summary: "Build a base image with mmdebstrap (suite, mirror, components from [bootstrap] or flags)",
  args: 1,
  options: {
    suite: { type: "string" },
    mirror: { type: "string" },
    components: { type: "string" },
    variant: { type: "string" },
    keyring: { type: "string" },
    include: { type: "string", multiple: true },
    replace: { type: "boolean" },
  },
  optionHelp: {
    suite:
      "trixie, bookworm or noble: a release apt-layer has a profile for (default bootstrap.suite, trixie)",
    mirror: "archive URL (default bootstrap.mirror, else the suite profile's)",
    components: "comma-separated, e.g. main,contrib (default bootstrap.components, else the suite profile's)",
    variant: "minbase, required, important, standard or apt",
    keyring: "keyring file that signs the archive (default the suite profile's)",
    include: "extra package (repeatable)",
    replace: "move the tag if the image exists",
  },
  async run(ctx, parsed) {
    const variant = stringOption(parsed, "variant");
    const components = stringOption(parsed, "components");
    const image = await bootstrapImage(await open(ctx, { createStore: true }), {
      target: parsed.positionals[0] as string,
      spec: {
        suite: stringOption(parsed, "suite") ?? ctx.settings.bootstrap.suite,
        ...(stringOption(parsed, "mirror") ? { mirror: stringOption(parsed, "mirror") } : {}),
        ...(components ? { components: components.split(",").filter(Boolean) } : {}),
        ...(variant ? { variant: variant as "minbase" } : {}),
        ...(stringOption(parsed, "keyring") ? { keyring: stringOption(parsed, "keyring") } : {}),
        ...(stringList(parsed, "include").length > 0 ? { include: stringList(parsed, "include") } : {}),
      },
      defaults: bootstrapDefaults(ctx.settings),
      replace: Boolean(parsed.values.replace),
    });
    report(ctx, image);
    return 0;
  },
});

export const importRootfsCommand = defineCommand({
  path: ["import-rootfs"],
  usage: "DIR NAME/TAG",
  summary: "Import a root filesystem directory as a base image (the directory is copied, not changed)",
  args: 2,
  options: { replace: { type: "boolean" } },
  optionHelp: { replace: "move the tag if the image exists" },
  async run(ctx, parsed) {
    const [source, target] = parsed.positionals as [string, string];
    report(
      ctx,
      await importTree(await open(ctx, { createStore: true }), {
        source,
        target,
        replace: Boolean(parsed.values.replace),
      }),
    );
    return 0;
  },
});
