import path from "node:path";
import { mkdirDurable, sha256Hex } from "@particle/runtime";
import { canonicalJson } from "../audit.js";
import { aptUpdate, resolvePlan } from "../build/apt.js";
import { type BootstrapDefaults, bootstrapImage, bootstrapPlan } from "../build/bootstrap.js";
import { storeRef } from "../build/install.js";
import { buildLayer } from "../build/layer.js";
import { bindLocalDebs, digestLocalDeb, type LocalDebInput, stageLocalDebs } from "../build/local-deb.js";
import { BuildEnvironment } from "../build-env/environment.js";
import { type AptLayerContext, buildDirs, statePaths, withTransaction } from "../context.js";
import type { PlanAction } from "../debian/apt-plan.js";
import { formatImageRef, type ImageRef } from "../debian/names.js";
import { bootablePackages, suiteProfileOfImage } from "../debian/suites.js";
import { keyFetchFailed, particleDebRequired } from "../errors.js";
import { findImage, type ImageInfo } from "../image/store.js";
import { LABELS, type Recipe } from "../spec.js";
import { applyStep } from "./apply.js";
import { type RecipeStep, type ResolvedSource, recipeSteps, type StepInputs } from "./steps.js";

/** Cached step images live under one name, tagged by cache key. */
export const CACHE_IMAGE = "apt-layer-cache";

/**
 * A step's cache key: its parent image and its full content (pure). Local .debs count by their
 * digest, not their path: the same file elsewhere gives the same layer.
 */
export function stepKey(parentDigest: string, step: RecipeStep): string {
  const content =
    step.kind === "local-packages" ? { ...step, debs: step.debs.map((d) => ({ sha256: d.sha256 })) } : step;
  return sha256Hex(`${parentDigest}\n${canonicalJson(content)}`);
}

/** Fetches the signing keys a recipe names by URL, so that their bytes (not just the URL) key the cache. */
export async function resolveSources(
  recipe: Recipe,
  fetchText: (url: string) => Promise<string> = fetchKey,
): Promise<ResolvedSource[]> {
  const resolved: ResolvedSource[] = [];
  for (const { key, ...source } of recipe.sources) {
    const armoredKey =
      key === undefined ? undefined : "armored" in key ? key.armored : await fetchText(key.url);
    resolved.push({ ...source, ...(armoredKey ? { armoredKey } : {}) });
  }
  return resolved;
}

/** Fetches a recipe source's signing key; every failure is KEY_FETCH_FAILED naming the URL. */
export async function fetchKey(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw keyFetchFailed(url, error instanceof Error ? error.message : String(error), error);
  }
  if (!response.ok) throw keyFetchFailed(url, `HTTP ${response.status}`);
  return response.text();
}

function cached(ctx: AptLayerContext, key: string): Promise<ImageInfo | undefined> {
  return findImage(ctx.store, `${CACHE_IMAGE}:${key}`);
}

/** The recipe's base image: a store image, or a bootstrap cached by what mmdebstrap is given. */
async function baseImage(
  ctx: AptLayerContext,
  recipe: Recipe,
  defaults: BootstrapDefaults,
  override?: string,
): Promise<ImageInfo> {
  if (override !== undefined) return ctx.store.resolve(storeRef(override));
  if ("image" in recipe.base) return ctx.store.resolve(storeRef(recipe.base.image));
  const key = sha256Hex(canonicalJson({ bootstrap: bootstrapPlan(recipe.base.bootstrap, defaults) }));
  const hit = await cached(ctx, key);
  if (hit) return hit;
  return bootstrapImage(ctx, { target: `${CACHE_IMAGE}:${key}`, spec: recipe.base.bootstrap, defaults });
}

export interface ComposeStepReport {
  readonly kind: RecipeStep["kind"];
  readonly key: string;
  readonly cached: boolean;
  readonly image: string;
}

export interface ComposeResult {
  readonly image: ImageInfo;
  readonly steps: ComposeStepReport[];
}

export interface ComposeOptions {
  readonly defaults: BootstrapDefaults;
  /** Build on this image instead of the recipe's base. */
  readonly baseOverride?: string;
  readonly fetchText?: (url: string) => Promise<string>;
  /** The particle-os .deb (packaging/deb/build-deb.mjs) a `bootable` recipe installs as its boot integration. */
  readonly particleDeb?: string;
  /**
   * Checks the finished tree of a `bootable` recipe (mounted read-only at `root`) before the recipe's
   * tag is committed, and throws when it cannot boot; the CLI passes `particle-bootc container lint`.
   */
  readonly lint?: (root: string) => Promise<void>;
}

/** What the recipe's steps need: its sources, and for `bootable` the suite's packages and particle-os. */
async function stepInputs(recipe: Recipe, base: ImageInfo, options: ComposeOptions): Promise<StepInputs> {
  const sources = await resolveSources(recipe, options.fetchText);
  const localPaths = [...recipe.localPackages];
  if (recipe.bootable) {
    if (options.particleDeb === undefined) throw particleDebRequired(recipe.metadata.name);
    localPaths.push(options.particleDeb);
  }
  const localDebs: LocalDebInput[] = [];
  for (const p of localPaths) localDebs.push({ path: p, sha256: (await digestLocalDeb(p)).sha256 });
  return {
    sources,
    bootPackages: recipe.bootable ? bootablePackages(suiteProfileOfImage(base)) : [],
    localDebs,
  };
}

/**
 * `apt-layer compose RECIPE`: builds the recipe as a chain of layers, one per step, each cached as
 * `apt-layer-cache:<key>`; an unchanged step on an unchanged parent is reused, not rebuilt. The
 * result is tagged with the recipe's name and tag.
 */
export async function composeRecipe(
  ctx: AptLayerContext,
  recipe: Recipe,
  options: ComposeOptions,
): Promise<ComposeResult> {
  let parent = await baseImage(ctx, recipe, options.defaults, options.baseOverride);
  const inputs = await stepInputs(recipe, parent, options);
  const reports: ComposeStepReport[] = [];
  for (const step of recipeSteps(recipe, inputs)) {
    const key = stepKey(parent.manifestDigest, step);
    const hit = await cached(ctx, key);
    if (hit) {
      reports.push({ kind: step.kind, key, cached: true, image: hit.manifestDigest });
      parent = hit;
      continue;
    }
    const target: ImageRef = { name: CACHE_IMAGE, tag: key };
    const base = parent.manifestDigest;
    const result = await withTransaction(
      ctx,
      "apt-layer.build",
      { target: formatImageRef(target), base, step: step.kind, recipe: recipe.metadata.name },
      (scope) =>
        buildLayer(ctx, scope, {
          base,
          target,
          replace: true,
          ...(step.kind === "packages"
            ? { install: step.install, remove: step.remove }
            : step.kind === "local-packages"
              ? { localDebs: step.debs }
              : { customize: (env) => applyStep(env, step) }),
          labels: {
            [LABELS.recipe]: `${recipe.metadata.name}:${recipe.metadata.tag}`,
            [LABELS.message]: `recipe step ${step.kind}`,
          },
        }),
    );
    reports.push({ kind: step.kind, key, cached: false, image: result.image.manifestDigest });
    parent = result.image;
  }
  const final = parent;
  const name = recipe.metadata.name;
  const tag = recipe.metadata.tag;
  const image = await withTransaction(
    ctx,
    "apt-layer.build",
    { target: `${name}:${tag}`, base: final.manifestDigest, recipe: name },
    async (scope) => {
      if (recipe.bootable && options.lint) {
        // Mounted where the transaction's recovery unmounts it after a kill.
        const { lower } = buildDirs(scope.workDir);
        await mkdirDurable(lower);
        (ctx.onStage ?? (() => {}))("checking that the image boots (container lint)");
        await ctx.store.mount(final.manifestDigest, lower);
        try {
          await options.lint(lower);
        } finally {
          await ctx.store.unmount(lower);
        }
        await scope.tx.step("linted");
      }
      const committed = await ctx.store.commitImage({
        name,
        tag,
        layers: [...final.layers],
        parent: final.manifestDigest,
        builtBy: "apt-layer",
        labels: { ...final.labels, [LABELS.recipe]: `${name}:${tag}` },
      });
      await scope.tx.step("committed");
      return committed;
    },
  );
  return { image, steps: reports };
}

export interface RecipeResolution {
  readonly recipe: string;
  readonly base: string;
  readonly plan: PlanAction[];
}

/**
 * Checks that a recipe's packages resolve (`apt-get -s` with the recipe's sources and architectures on
 * its base) without building anything: what CI does for the desktop recipes.
 */
export async function resolveRecipe(
  ctx: AptLayerContext,
  recipe: Recipe,
  options: ComposeOptions,
): Promise<RecipeResolution> {
  const base = await baseImage(ctx, recipe, options.defaults, options.baseOverride);
  const inputs = await stepInputs(recipe, base, options);
  const steps = recipeSteps(recipe, inputs);
  const sourceStep = steps.find((s) => s.kind === "apt-setup");
  const install = steps.flatMap((s) => (s.kind === "packages" ? s.install : []));
  return withTransaction(
    ctx,
    "apt-layer.resolve",
    { target: `${recipe.metadata.name}:${recipe.metadata.tag}`, base: base.manifestDigest },
    async (scope) => {
      const dirs = buildDirs(scope.workDir);
      await mkdirDurable(dirs.lower);
      await ctx.store.mount(base.manifestDigest, dirs.lower);
      const env = await BuildEnvironment.open({
        lower: [dirs.lower],
        dir: dirs.env,
        aptCache: statePaths(ctx).aptCache,
      });
      try {
        if (sourceStep) await applyStep(env, sourceStep);
        const staged = await stageLocalDebs(inputs.localDebs ?? [], path.join(scope.workDir, "local"));
        if (staged.length > 0) await bindLocalDebs(env, path.join(scope.workDir, "local"));
        await aptUpdate(env);
        const plan = await resolvePlan(env, [...install, ...staged.map((d) => d.inside)], recipe.remove);
        return { recipe: `${recipe.metadata.name}:${recipe.metadata.tag}`, base: base.manifestDigest, plan };
      } finally {
        await env.close();
        await ctx.store.unmount(dirs.lower);
      }
    },
  );
}
