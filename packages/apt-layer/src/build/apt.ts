import { promises as fs } from "node:fs";
import path from "node:path";
import { isParticleError } from "@particle/runtime";
import type { BuildEnvironment } from "../build-env/environment.js";
import { missingPackages, type PlanAction, parseAptSimulation } from "../debian/apt-plan.js";
import { packageNameOf } from "../debian/names.js";
import { aptFailed, packagesNotFound } from "../errors.js";
import { isLocalDebArg } from "./local-deb.js";

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
  // No fsync per unpacked file: the build's upper is scratch until the layer commit, which syncs once.
  "-o",
  "Dpkg::Options::=--force-unsafe-io",
];

export interface AptOptions {
  /** Install Recommends as apt does by default. @default true */
  readonly recommends?: boolean;
}

function recommendArgs(options: AptOptions): string[] {
  return options.recommends === false ? ["--no-install-recommends"] : [];
}

/** One apt-get transaction's package arguments: `pkg-` means "remove pkg" to `apt-get install`. */
function packageArgs(install: readonly string[], remove: readonly string[]): string[] {
  return ["--", ...install, ...remove.map((r) => `${packageNameOf(r)}-`)];
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
  options: AptOptions = {},
): Promise<PlanAction[]> {
  const args = ["install", "-s", ...recommendArgs(options), ...packageArgs(install, remove)];
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
  // apt "fetches" a local .deb from its path, which --no-download forbids; the install has no network anyway.
  const offline = install.some(isLocalDebArg) ? [] : ["--no-download"];
  await apt(env, "installing packages", [
    "install",
    ...offline,
    ...recommendArgs(options),
    ...packageArgs(install, remove),
  ]);
}

/** The cached .deb that apt downloaded for one planned install (apt escapes an epoch's colon). */
export function debPath(action: PlanAction): string {
  return `/var/cache/apt/archives/${action.name}_${(action.version ?? "").replace(/:/g, "%3a")}_${action.architecture ?? "all"}.deb`;
}

/** Total size of the planned .debs in the archive cache (after `download`), to check disk space. */
export async function plannedDebBytes(aptCache: string, plan: readonly PlanAction[]): Promise<number> {
  let total = 0;
  for (const action of plan) {
    if (action.action !== "install") continue;
    // A .deb missing under its expected name counts as 0 (the estimate errs low); other errors surface.
    const stat = await fs
      .stat(path.join(aptCache, "archives", path.basename(debPath(action))))
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
    total += stat?.size ?? 0;
  }
  return total;
}
