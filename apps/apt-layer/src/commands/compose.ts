import { bootstrapDefaults, composeRecipe, loadRecipe, resolveRecipe } from "@particle/apt-layer";
import { BootcErrors, lintImage } from "@particle/bootc";
import { type CommandContext, defineCommand, stringOption } from "@particle/cli-kit";
import { open } from "../open.js";

/** `particle-bootc container lint` on a bootable recipe's result: its fatal problems are logged, then it fails. */
function bootableLint(ctx: CommandContext) {
  return async (root: string): Promise<void> => {
    const report = await lintImage(root);
    if (report.failed.length === 0) return;
    for (const r of report.results.filter((x) => report.failed.includes(x.id)))
      ctx.logger.error(`lint ${r.id}: ${r.problems.join("; ")}`);
    throw BootcErrors.lintFailed(report.failed);
  };
}

export const composeCommand = defineCommand({
  path: ["compose"],
  usage: "RECIPE",
  summary: "Build a recipe (YAML) as a chain of cached layers; --resolve-only checks it with apt -s",
  args: 1,
  options: {
    "base-image": { type: "string" },
    "resolve-only": { type: "boolean" },
    "particle-deb": { type: "string" },
  },
  optionHelp: {
    "base-image": "build on this image instead of the recipe's base",
    "resolve-only": "resolve the packages with apt against the mirror, build nothing",
    "particle-deb":
      "the particle-os .deb a bootable recipe installs (node packaging/deb/build-deb.mjs prints its path)",
  },
  async run(ctx, parsed) {
    const recipe = await loadRecipe(parsed.positionals[0] as string);
    const baseOverride = stringOption(parsed, "base-image");
    const particleDeb = stringOption(parsed, "particle-deb");
    const options = {
      defaults: bootstrapDefaults(ctx.settings),
      ...(baseOverride ? { baseOverride } : {}),
      ...(particleDeb ? { particleDeb } : {}),
      lint: bootableLint(ctx),
    };
    const aptLayer = await open(ctx, { createStore: true });
    if (parsed.values["resolve-only"]) {
      const resolution = await resolveRecipe(aptLayer, recipe, options);
      const installs = resolution.plan.filter((a) => a.action === "install");
      ctx.out.result(
        "RecipeResolution",
        resolution,
        (r) => `${r.recipe}: resolves; ${installs.length} packages to install on ${r.base}`,
      );
      return 0;
    }
    const result = await composeRecipe(aptLayer, recipe, options);
    ctx.out.result(
      "ComposeResult",
      {
        image: `${result.image.name}:${result.image.tag}`,
        manifestDigest: result.image.manifestDigest,
        steps: result.steps,
      },
      (d) =>
        [
          `${d.image} ${d.manifestDigest}`,
          ...d.steps.map((s) => `  ${s.kind.padEnd(14)} ${s.cached ? "cached" : "built "} ${s.image}`),
        ].join("\n"),
    );
    return 0;
  },
});

export const validateCommand = defineCommand({
  path: ["validate"],
  usage: "RECIPE",
  summary: "Check a recipe against its schema without building",
  args: 1,
  async run(ctx, parsed) {
    const file = parsed.positionals[0] as string;
    const recipe = await loadRecipe(file);
    ctx.out.result(
      "RecipeValidation",
      { file, valid: true, image: `${recipe.metadata.name}:${recipe.metadata.tag}` },
      (d) => `${d.file}: valid (${d.image})`,
    );
    return 0;
  },
});
