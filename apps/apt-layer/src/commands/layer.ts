import {
  type LayerResult,
  layerPackages,
  parseImageRef,
  splitInstallArgs,
  storeRef,
} from "@particle/apt-layer";
import { type CommandContext, defineCommand, stringOption } from "@particle/cli-kit";
import { open, usage } from "../open.js";

const BUILD_OPTIONS = {
  "no-recommends": { type: "boolean" },
  replace: { type: "boolean" },
} as const;

const BUILD_HELP = {
  "no-recommends": "do not install Recommends",
  replace: "move the tag if the new image already exists",
};

/** Refuses bad names before the store is opened; a path with a slash is a local .deb, as for apt. */
function checkRequest(base: string, target: string, args: readonly string[]) {
  storeRef(base);
  parseImageRef(target);
  return splitInstallArgs(args);
}

function report(ctx: CommandContext, result: LayerResult): void {
  const installed = result.plan.filter((a) => a.action === "install");
  const removed = result.plan.filter((a) => a.action === "remove" || a.action === "purge");
  ctx.out.result(
    "LayerResult",
    {
      image: `${result.image.name}:${result.image.tag}`,
      manifestDigest: result.image.manifestDigest,
      layer: result.layer,
      installed: installed.map((a) => ({ name: a.name, version: a.version, architecture: a.architecture })),
      removed: removed.map((a) => a.name),
    },
    (d) =>
      `${d.image} ${d.manifestDigest}\n  ${d.installed.length} packages installed, ${d.removed.length} removed; layer ${d.layer.digest} (${d.layer.size} bytes)`,
  );
}

/** The seed's form: `apt-layer BASE NEW PKG...`. */
export const seedCommand = defineCommand({
  path: [],
  usage: "BASE NEW PKG|./FILE.deb...",
  summary:
    "Make image NEW by installing packages (names, or local .deb files by path) on image BASE (one atomic transaction)",
  args: [3, Number.POSITIVE_INFINITY],
  options: BUILD_OPTIONS,
  optionHelp: BUILD_HELP,
  async run(ctx, parsed) {
    const [base, target, ...args] = parsed.positionals as [string, string, ...string[]];
    const { install, localDebs } = checkRequest(base, target, args);
    const result = await layerPackages(await open(ctx), {
      base,
      target,
      install,
      localDebs,
      recommends: !parsed.values["no-recommends"],
      replace: Boolean(parsed.values.replace),
    });
    report(ctx, result);
    return 0;
  },
});

function layerVerb(verb: "install" | "remove") {
  return defineCommand({
    path: [verb],
    usage: verb === "install" ? "--image IMAGE PKG|./FILE.deb..." : "--image IMAGE PKG...",
    summary: `${verb === "install" ? "Install packages on" : "Remove packages from"} an image, as a new layer (the tag moves; the old image stays in its history)`,
    args: [1, Number.POSITIVE_INFINITY],
    options: { image: { type: "string" }, to: { type: "string" }, ...BUILD_OPTIONS },
    optionHelp: {
      image: "the image to change (required)",
      to: "commit as this image instead of moving IMAGE's tag",
      ...BUILD_HELP,
    },
    async run(ctx, parsed) {
      const image = stringOption(parsed, "image");
      if (!image) throw usage(`${verb} needs --image IMAGE`);
      const to = stringOption(parsed, "to");
      const { install, localDebs } = checkRequest(image, to ?? image, parsed.positionals);
      if (verb === "remove" && localDebs.length > 0) throw usage("remove takes package names, not files");
      const result = await layerPackages(await open(ctx), {
        base: image,
        target: to ?? image,
        ...(verb === "install" ? { install, localDebs } : { remove: install }),
        recommends: !parsed.values["no-recommends"],
        replace: to === undefined || Boolean(parsed.values.replace),
      });
      report(ctx, result);
      return 0;
    },
  });
}

export const installCommand = layerVerb("install");
export const removeCommand = layerVerb("remove");
