import { promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError } from "@particle/runtime";
import { parse as parseYaml } from "yaml";
import { suiteProfile } from "../debian/suites.js";
import { recipeInvalid } from "../errors.js";
import { Recipe } from "../spec.js";

/** Validates a parsed recipe document (pure); errors name each bad field by its path. */
export function parseRecipe(document: unknown, file = "recipe"): Recipe {
  const result = Recipe.safeParse(document);
  if (!result.success) {
    throw recipeInvalid(
      file,
      result.error.issues.map(
        (issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(document)"}: ${issue.message}`,
      ),
    );
  }
  if ("bootstrap" in result.data.base) suiteProfile(result.data.base.bootstrap.suite);
  return result.data;
}

/** Parses recipe YAML text (pure). */
export function parseRecipeYaml(text: string, file = "recipe"): Recipe {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw recipeInvalid(file, [`not valid YAML: ${(error as Error).message.split("\n")[0]}`]);
  }
  return parseRecipe(document, file);
}

/** Loads a recipe file; its relative `localPackages` paths are taken from the file's directory. */
export async function loadRecipe(file: string): Promise<Recipe> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw fromSystemError(error, `reading recipe ${file}`, file);
  }
  const recipe = parseRecipeYaml(text, file);
  const dir = path.dirname(path.resolve(file));
  return { ...recipe, localPackages: recipe.localPackages.map((p) => path.resolve(dir, p)) };
}
