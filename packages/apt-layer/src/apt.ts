import { promises as fs } from "node:fs";
import path from "node:path";
import { isParticleError } from "@particle/runtime";
import { groupPlan, missingPackages, type PlanAction, parseAptSimulation, planKey } from "./apt-plan.js";
import type { BuildEnvironment } from "./build-env/environment.js";
import { aptFailed, packagesNotFound } from "./errors.js";
import { packageNameOf } from "./names.js";

/**
 * apt and dpkg inside a build environment. Only `update` and `download` get the network; resolving,
 * installing and removing run offline, from the lists and .debs already fetched.
 */

const APT = [
  "apt-get",
  "-q",
  "-y",
  "-o",
  "APT::Sandbox::User=root",
  "-o",
  "Dpkg::Use-Pty=0",
  "-o",
  "Dpkg::Options::=--force-confdef",
  "-o",
  "Dpkg::Options::=--force-confold",
];

export interface AptOptions {
  /** Install Recommends as apt does by default. @default true */
  readonly recommends?: boolean;
}

export interface PlanOptions extends AptOptions {
  /**
   * Plan for `applyDirect`: without apt's immediate configuration, apt orders all unpacks first and
   * configures only where a Pre-Depends needs it, so the plan becomes a few large dpkg calls.
   * @default false
   */
  readonly forDirect?: boolean;
}

function recommendArgs(options: AptOptions): string[] {
  return options.recommends === false ? ["--no-install-recommends"] : [];
}

async function apt(env: BuildEnvironment, what: string, args: readonly string[], network = false) {
  try {
    return await env.run([...APT, ...args], { network });
  } catch (error) {
    const stderr = isParticleError(error) ? String(error.context.stderr ?? "") : "";
    throw aptFailed(what, stderr, error);
  }
}

export async function aptUpdate(env: BuildEnvironment): Promise<void> {
  await apt(env, "apt-get update", ["update"], true);
}

/**
 * What apt would do to install and remove these packages (offline, from the lists). A package apt
 * cannot find fails here with PACKAGE_NOT_FOUND naming it, before anything is downloaded or built.
 */
export async function resolvePlan(
  env: BuildEnvironment,
  install: readonly string[],
  remove: readonly string[] = [],
  options: PlanOptions = {},
): Promise<PlanAction[]> {
  // apt-get install accepts `pkg-` to mean "remove pkg" in the same transaction.
  const args = [
    ...(options.forDirect ? ["-o", "APT::Immediate-Configure=false"] : []),
    "install",
    "-s",
    ...recommendArgs(options),
    "--",
    ...install,
    ...remove.map((r) => `${packageNameOf(r)}-`),
  ];
  try {
    const { stdout } = await env.run([...APT, ...args]);
    return parseAptSimulation(stdout);
  } catch (error) {
    const stderr = isParticleError(error) ? String(error.context.stderr ?? "") : "";
    const missing = missingPackages(stderr);
    if (missing.length > 0) throw packagesNotFound(missing, stderr.trim());
    throw aptFailed("resolving packages with apt", stderr, error);
  }
}

/** Downloads the .debs of an install into apt's (shared) archive cache. */
export async function download(
  env: BuildEnvironment,
  install: readonly string[],
  options: AptOptions = {},
): Promise<void> {
  if (install.length === 0) return;
  await apt(
    env,
    "downloading packages",
    ["install", "--download-only", ...recommendArgs(options), "--", ...install],
    true,
  );
}

/** Installs and removes with apt-get, offline (everything was downloaded first). */
export async function applyWithApt(
  env: BuildEnvironment,
  install: readonly string[],
  remove: readonly string[],
  options: AptOptions = {},
): Promise<void> {
  const args = [
    "install",
    "--no-download",
    ...recommendArgs(options),
    "--",
    ...install,
    ...remove.map((r) => `${packageNameOf(r)}-`),
  ];
  await apt(env, "installing packages", args);
}

const DPKG = ["dpkg", "--force-unsafe-io", "--force-confdef", "--force-confold"];

/** The cached .deb that apt downloaded for one planned install (apt escapes an epoch's colon). */
export function debPath(action: PlanAction): string {
  return `/var/cache/apt/archives/${action.name}_${(action.version ?? "").replace(/:/g, "%3a")}_${action.architecture ?? "all"}.deb`;
}

/**
 * Carries out apt's plan with dpkg directly, in apt's order (so Pre-Depends hold), without per-file
 * fsync (`--force-unsafe-io`): the layer commit syncs once. Then records which packages were pulled
 * in as dependencies, as apt would, so that a later `apt autoremove` in the image stays correct.
 */
export async function applyDirect(
  env: BuildEnvironment,
  plan: readonly PlanAction[],
  requested: readonly string[],
): Promise<void> {
  const installs = new Map(plan.filter((a) => a.action === "install").map((a) => [planKey(a), a]));
  try {
    for (const group of groupPlan(plan)) {
      if (group.action === "install") {
        const debs = group.names.map((n) => debPath(installs.get(n) as PlanAction));
        await env.run([...DPKG, "--unpack", "--", ...debs]);
      } else if (group.action === "configure") {
        await env.run([...DPKG, "--configure", "--", ...group.names]);
      } else {
        await env.run([...DPKG, group.action === "purge" ? "--purge" : "--remove", "--", ...group.names]);
      }
    }
    await env.run([...DPKG, "--configure", "--pending"]);
  } catch (error) {
    const stderr = isParticleError(error) ? String(error.context.stderr ?? "") : "";
    throw aptFailed("installing packages with dpkg", stderr, error);
  }
  const wanted = new Set(requested.map(packageNameOf));
  const auto = [...installs.entries()].filter(([, a]) => !wanted.has(a.name)).map(([key]) => key);
  if (auto.length > 0) await env.run(["apt-mark", "auto", "--", ...auto]);
}

/** Total size of the planned .debs in the archive cache (after `download`), to check disk space. */
export async function plannedDebBytes(aptCache: string, plan: readonly PlanAction[]): Promise<number> {
  let total = 0;
  for (const action of plan) {
    if (action.action !== "install") continue;
    const stat = await fs
      .stat(path.join(aptCache, "archives", path.basename(debPath(action))))
      .catch(() => undefined);
    total += stat?.size ?? 0;
  }
  return total;
}
