import type { LocalDebInput } from "../build/local-deb.js";
import type { AptSource, Recipe } from "../spec.js";

/**
 * A recipe as a chain of build steps, each one layer (pure). A step's `content` is everything that
 * defines its result; with the parent's digest it makes the step's cache key, so editing one step
 * rebuilds it and the steps after it, and reuses the ones before.
 */
export type RecipeStep =
  | {
      readonly kind: "apt-setup";
      readonly architectures: string[];
      readonly sources: ResolvedSource[];
      readonly debconf: string[];
    }
  | { readonly kind: "packages"; readonly install: string[]; readonly remove: string[] }
  | { readonly kind: "local-packages"; readonly debs: LocalDebInput[] }
  | { readonly kind: "files"; readonly files: Recipe["files"] }
  | { readonly kind: "users"; readonly users: Recipe["users"] }
  | { readonly kind: "units"; readonly units: Recipe["units"] }
  | { readonly kind: "script"; readonly name: string; readonly run: string };

/** An apt source with its signing key as armored text (fetched for `key.url`). */
export interface ResolvedSource extends Omit<AptSource, "key"> {
  readonly armoredKey?: string;
}

/** What a recipe's steps need besides the recipe: its sources' keys, and what `bootable` and local files add. */
export interface StepInputs {
  readonly sources: readonly ResolvedSource[];
  /** The packages `bootable` adds from the suite's profile. */
  readonly bootPackages?: readonly string[];
  /** The recipe's local .debs (and particle-os for `bootable`), with their digests. */
  readonly localDebs?: readonly LocalDebInput[];
}

export function recipeSteps(recipe: Recipe, inputs: StepInputs): RecipeStep[] {
  const { sources } = inputs;
  const steps: RecipeStep[] = [];
  if (recipe.architectures.length > 0 || sources.length > 0 || recipe.debconf.length > 0) {
    steps.push({
      kind: "apt-setup",
      architectures: [...recipe.architectures].sort(),
      sources: [...sources],
      debconf: [...recipe.debconf],
    });
  }
  const install = [...new Set([...(inputs.bootPackages ?? []), ...recipe.packages])];
  if (install.length > 0 || recipe.remove.length > 0) {
    steps.push({ kind: "packages", install, remove: [...recipe.remove] });
  }
  // Local .debs get a step of their own: a rebuilt file reinstalls only it, not the archive packages.
  if ((inputs.localDebs ?? []).length > 0)
    steps.push({ kind: "local-packages", debs: [...(inputs.localDebs ?? [])] });
  if (recipe.files.length > 0) steps.push({ kind: "files", files: recipe.files });
  if (recipe.users.length > 0) steps.push({ kind: "users", users: recipe.users });
  const u = recipe.units;
  if (u.enable.length + u.disable.length + u.mask.length > 0) steps.push({ kind: "units", units: u });
  for (const script of recipe.scripts) steps.push({ kind: "script", name: script.name, run: script.run });
  return steps;
}

/** The deb822 `.sources` file of a source, with its key embedded in Signed-By (pure). */
export function sourcesFile(source: ResolvedSource): string {
  const lines = [
    "Types: deb",
    `URIs: ${source.uris.join(" ")}`,
    `Suites: ${source.suites.join(" ")}`,
    ...(source.components.length > 0 ? [`Components: ${source.components.join(" ")}`] : []),
    ...(source.architectures ? [`Architectures: ${source.architectures.join(" ")}`] : []),
  ];
  if (source.armoredKey) {
    // deb822 continuation lines: a blank line inside the key is written as " ." (sources.list(5)).
    const key = source.armoredKey
      .trim()
      .split("\n")
      .map((l) => (l.trim() === "" ? " ." : ` ${l}`));
    lines.push("Signed-By:", ...key);
  }
  return `${lines.join("\n")}\n`;
}
