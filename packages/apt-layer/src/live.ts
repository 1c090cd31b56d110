import { promises as fs } from "node:fs";
import path from "node:path";
import {
  listMounts,
  mkdirDurable,
  mountOverlay,
  ParticleError,
  readFileIfExists,
  run,
  sha256Hex,
  unmount,
  withLock,
  writeJsonAtomic,
} from "@particle/runtime";
import { applyWithApt, aptUpdate, download, resolvePlan } from "./apt.js";
import { BuildEnvironment, LAYER_OVERLAY_OPTIONS } from "./build-env/environment.js";
import { type AptLayerContext, statePaths, withTransaction } from "./context.js";
import { loadInstalledPackages } from "./dpkg-status.js";
import { liveDeployFailed, liveNotActive } from "./errors.js";
import { storeRef } from "./install.js";
import { layeredLabels } from "./layer.js";
import { formatImageRef, parseImageRef, validatePackageSpecs } from "./names.js";
import { decodePackageList, diffPackageLists, type PackageDiff } from "./package-list.js";
import { API_VERSION, LABELS, LiveState } from "./spec.js";
import type { ImageInfo } from "./store.js";
import { createTreeLayer } from "./tree-layer.js";

/**
 * The live overlay: packages installed into a running root without a reboot. A transient overlay is
 * mounted over the root (lower = the root as it is, upper = apt-layer state), apt runs in the build
 * environment on it, and the changes show at once. `liveCommit` turns the upper into a new layer on the
 * image the root runs; `liveRollback` drops it. Works on any root directory; the machine's own `/` is
 * refused (see README: a running system needs the overlay on /usr and /etc, bootc's job).
 */

function liveDirs(ctx: AptLayerContext, root: string) {
  const dir = path.join(statePaths(ctx).live, sha256Hex(path.resolve(root)).slice(0, 16));
  return {
    dir,
    upper: path.join(dir, "upper"),
    work: path.join(dir, "work"),
    state: path.join(dir, "state.json"),
    lock: path.join(dir, "lock"),
  };
}

/**
 * The root a live overlay may cover, with its links resolved. The machine's own / is refused under
 * any name (a symlink to it, /proc/self/root, a bind mount of it): the overlay would cover the running system.
 */
async function checkRoot(root: string): Promise<string> {
  const resolved = await fs.realpath(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return path.resolve(root);
    throw error;
  });
  const stat = await fs.stat(resolved).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  const machineRoot = await fs.stat("/");
  if (resolved === "/" || (stat?.dev === machineRoot.dev && stat.ino === machineRoot.ino)) {
    throw new ParticleError({
      code: "LIVE_ROOT_UNSUPPORTED",
      message: "a live overlay on the running system's own / is not supported yet",
      hint: "Pass --root DIR for a mounted image, or layer a new image and deploy it with bootc.",
      exit: "unavailable",
    });
  }
  return resolved;
}

/** Whether our overlay (with this upper) is mounted at root. */
async function overlayMounted(root: string, upper: string): Promise<boolean> {
  return (await listMounts()).some(
    (m) => m.mountPoint === root && m.fsType === "overlay" && m.superOptions.includes(`upperdir=${upper}`),
  );
}

async function readState(file: string): Promise<LiveState | undefined> {
  const text = await readFileIfExists(file);
  return text === undefined ? undefined : LiveState.parse(JSON.parse(text));
}

export interface LiveStatus {
  readonly root: string;
  readonly active: boolean;
  readonly base?: string;
  readonly startedAt?: string;
  readonly installed: string[];
  readonly changes?: PackageDiff;
}

export interface LiveInstallRequest {
  readonly root: string;
  /** The image the root runs (needed to start a live overlay; remembered after). */
  readonly base?: string;
  readonly packages: readonly string[];
}

/** Installs packages into the live overlay of `root`, starting one if none is active. */
export async function liveInstall(ctx: AptLayerContext, request: LiveInstallRequest): Promise<LiveStatus> {
  const root = await checkRoot(request.root);
  const packages = validatePackageSpecs(request.packages);
  const dirs = liveDirs(ctx, root);
  await mkdirDurable(dirs.dir);
  return withLock(dirs.lock, { purpose: `the live overlay of ${root}` }, async () => {
    let state = await readState(dirs.state);
    const mounted = await overlayMounted(root, dirs.upper);
    const starting = !mounted;
    if (starting) {
      // A state file without its mount is left from a previous boot: its image is still the root's.
      const requested = request.base ?? state?.base;
      if (requested === undefined) throw liveNotActive(root);
      const base = storeRef(requested);
      await ctx.store.resolve(base);
      // Its changes are gone with the mount: start afresh.
      await fs.rm(dirs.upper, { recursive: true, force: true });
      await fs.rm(dirs.work, { recursive: true, force: true });
      await mkdirDurable(dirs.upper);
      await mkdirDurable(dirs.work);
      await mountOverlay({
        lower: [root],
        upper: dirs.upper,
        work: dirs.work,
        target: root,
        extra: LAYER_OVERLAY_OPTIONS,
      });
      state = {
        apiVersion: API_VERSION,
        kind: "LiveOverlay",
        root,
        base,
        startedAt: new Date().toISOString(),
        installed: [],
      };
      await writeJsonAtomic(dirs.state, state);
    }
    const current = state as LiveState;
    const env = await BuildEnvironment.enter(root, dirs.upper, {
      aptCache: statePaths(ctx).aptCache,
      sourceDateEpoch: ctx.sourceDateEpoch,
    });
    try {
      await aptUpdate(env);
      await resolvePlan(env, packages);
      await download(env, packages);
      await applyWithApt(env, packages, []);
    } catch (error) {
      await env.close({ keepOverlay: true });
      // A failed first install leaves nothing behind; a later one leaves the earlier packages live.
      if (starting) await dropOverlay(root, dirs);
      throw error;
    }
    await env.close({ keepOverlay: true });
    const next: LiveState = {
      ...current,
      installed: [...new Set([...current.installed, ...packages])].sort(),
    };
    await writeJsonAtomic(dirs.state, next);
    return statusOf(ctx, root, next, true);
  });
}

async function dropOverlay(root: string, dirs: ReturnType<typeof liveDirs>): Promise<void> {
  if (await overlayMounted(root, dirs.upper)) await unmount(root, { lazy: true });
  await fs.rm(dirs.upper, { recursive: true, force: true });
  await fs.rm(dirs.work, { recursive: true, force: true });
  await fs.rm(dirs.state, { force: true });
}

async function statusOf(
  ctx: AptLayerContext,
  root: string,
  state: LiveState | undefined,
  active: boolean,
): Promise<LiveStatus> {
  if (!state || !active) return { root, active: false, installed: [] };
  const base = await ctx.store.resolve(state.base);
  const now = await loadInstalledPackages(root);
  return {
    root,
    active,
    base: state.base,
    startedAt: state.startedAt,
    installed: state.installed,
    changes: diffPackageLists(decodePackageList(base.labels[LABELS.packages] ?? "[]"), now),
  };
}

export async function liveStatus(ctx: AptLayerContext, rootDir: string): Promise<LiveStatus> {
  const root = await checkRoot(rootDir);
  const dirs = liveDirs(ctx, root);
  const state = await readState(dirs.state);
  return statusOf(ctx, root, state, state !== undefined && (await overlayMounted(root, dirs.upper)));
}

/** Drops the live overlay: the root is as it was before the first live install. */
export async function liveRollback(ctx: AptLayerContext, rootDir: string): Promise<LiveStatus> {
  const root = await checkRoot(rootDir);
  const dirs = liveDirs(ctx, root);
  return withLock(dirs.lock, { purpose: `the live overlay of ${root}` }, async () => {
    const state = await readState(dirs.state);
    if (!state || !(await overlayMounted(root, dirs.upper))) throw liveNotActive(root);
    await dropOverlay(root, dirs);
    return { root, active: false, base: state.base, installed: [] };
  });
}

/**
 * Makes a committed image the next boot's deployment and returns the deployment's name (on a Particle
 * system: @particle/bootc's `switchImage` with the image's manifest digest). apt-layer builds images
 * and does not depend on bootc; the caller that knows the sysroot passes this in.
 */
export type DeployImage = (image: ImageInfo) => Promise<string>;

export interface LiveCommitRequest {
  readonly root: string;
  readonly message: string;
  /** Name of the new image. @default the running image's name and tag (the tag moves) */
  readonly target?: string;
  /**
   * Called once the image is committed and the overlay has ended. A failure here leaves the image
   * in the store and fails with LIVE_DEPLOY_FAILED naming it. @default none: nothing is deployed
   */
  readonly deploy?: DeployImage;
}

export interface LiveCommitResult {
  readonly image: ImageInfo;
  /** The deployment `deploy` made, or "not-attempted" without `deploy` (the caller deploys the image: `particle-bootc switch IMAGE`). */
  readonly deployment: "not-attempted" | { readonly staged: string };
}

/**
 * Turns the live changes into a new image (the root's image plus one layer), ends the live overlay,
 * and with `deploy` makes the image the next boot's deployment. The layer is made from a copy of the
 * upper, so a failure before the commit leaves the live system as it was.
 */
export async function liveCommit(
  ctx: AptLayerContext,
  request: LiveCommitRequest,
): Promise<LiveCommitResult> {
  const root = await checkRoot(request.root);
  const dirs = liveDirs(ctx, root);
  return withLock(dirs.lock, { purpose: `the live overlay of ${root}` }, async () => {
    const state = await readState(dirs.state);
    if (!state || !(await overlayMounted(root, dirs.upper))) throw liveNotActive(root);
    const base = await ctx.store.resolve(state.base);
    const target = parseImageRef(request.target ?? `${base.name}:${base.tag}`);
    const image = await withTransaction(
      ctx,
      "apt-layer.live-commit",
      { target: formatImageRef(target), base: base.manifestDigest, message: request.message },
      async (scope) => {
        const snapshot = path.join(scope.workDir, "upper");
        await run("cp", ["-a", "--", dirs.upper, snapshot]);
        await scope.tx.step("snapshot");
        const packages = await loadInstalledPackages(root);
        const layer = await createTreeLayer(ctx, scope, snapshot);
        const image = await ctx.store.commitImage({
          name: target.name,
          tag: target.tag,
          layers: [...base.layers, layer],
          parent: base.manifestDigest,
          builtBy: "apt-layer",
          labels: layeredLabels(
            base,
            { install: state.installed, remove: [], packages, os: base.labels[LABELS.os] ?? "debian" },
            { [LABELS.message]: request.message },
          ),
        });
        await scope.tx.step("committed");
        return image;
      },
    );
    await dropOverlay(root, dirs);
    if (!request.deploy) return { image, deployment: "not-attempted" as const };
    try {
      return { image, deployment: { staged: await request.deploy(image) } };
    } catch (error) {
      throw liveDeployFailed(formatImageRef(target), image.manifestDigest, error);
    }
  });
}
