import path from "node:path";
import {
  failpoint,
  loadInstalledPackages,
  mkdirDurable,
  parseDpkgStatus,
  readFileIfExists,
  run,
  withLock,
} from "@particle/runtime";
import { applyWithApt, aptUpdate, download, resolvePlan } from "../build/apt.js";
import { storeRef } from "../build/install.js";
import { layeredLabels } from "../build/layer.js";
import { createTreeLayer } from "../build/tree-layer.js";
import { type AptLayerContext, statePaths, withTransaction } from "../context.js";
import { formatImageRef, parseImageRef, validatePackageSpecs } from "../debian/names.js";
import { diffPackageLists, type PackageDiff } from "../debian/package-list.js";
import { liveDeployFailed, liveNotActive } from "../errors.js";
import type { ImageInfo } from "../image/store.js";
import { LABELS, type LiveState } from "../spec.js";
import { openView } from "./mounts.js";
import {
  dropStaged,
  endSession,
  readLiveState,
  recoverSession,
  stageGeneration,
  startSession,
  switchGeneration,
  updateState,
} from "./session.js";
import { type LiveTarget, liveTarget, type RunningSystem, sessionPaths } from "./target.js";

/**
 * The live overlay: packages installed into a running root without a reboot. apt runs in a private
 * view of the root where the next generation of changes is staged; when it succeeds the live trees
 * switch to it, so the changes show at once and a failed install changes nothing. `liveCommit` turns
 * the changes into a new layer on the image the root runs; `liveRollback` drops them. The root is a
 * mounted image (`--root DIR`, covered whole) or the running system's own / (a booted Particle
 * deployment: /usr, /opt, /etc and /var/lib/dpkg are covered, on a tmpfs gone at reboot); see
 * target.ts.
 */

export interface LiveStatus {
  readonly root: string;
  readonly active: boolean;
  readonly base?: string;
  readonly startedAt?: string;
  readonly installed: string[];
  /** Packages added, removed or changed against the image the root runs. */
  readonly changes?: PackageDiff;
  /** The image the last live commit made (the overlay stays until reboot on a running system). */
  readonly committed?: string;
}

/** Which root, and for the machine's own / how the running system is mounted. */
export interface LiveRequest {
  readonly root: string;
  /** Required for the machine's own / (the caller that knows the deployment passes it). */
  readonly system?: RunningSystem;
}

export interface LiveInstallRequest extends LiveRequest {
  /** The image a directory root runs (needed to start a live overlay there; remembered after). */
  readonly base?: string;
  readonly packages: readonly string[];
}

/** Runs `body` holding the session's lock: one live command at a time per root, a second fails at once. */
async function withSession<T>(target: LiveTarget, body: () => Promise<T>): Promise<T> {
  await mkdirDurable(path.dirname(target.dir));
  return withLock(sessionPaths(target.dir).lock, { purpose: `the live overlay of ${target.root}` }, body);
}

/** A file as the image has it: below the bottom lower of the tree that covers it. */
function imageFile(state: LiveState, rel: string): string {
  const tree = state.trees.find((t) => t.path === "." || rel.startsWith(`${t.path}/`));
  const lower = tree?.lower[tree.lower.length - 1];
  if (tree === undefined || lower === undefined) throw new Error(`live overlay: nothing covers ${rel}`);
  return path.join(lower, tree.path === "." ? rel : path.relative(tree.path, rel));
}

async function statusOf(state: LiveState | undefined, root: string): Promise<LiveStatus> {
  if (state === undefined) return { root, active: false, installed: [] };
  const image = parseDpkgStatus((await readFileIfExists(imageFile(state, "var/lib/dpkg/status"))) ?? "");
  return {
    root: state.root,
    active: true,
    base: state.base,
    startedAt: state.startedAt,
    installed: state.installed,
    changes: diffPackageLists(image, await loadInstalledPackages(state.root)),
    ...(state.committed ? { committed: state.committed } : {}),
  };
}

/** Installs packages into the live overlay of `root`, starting one if none is active. */
export async function liveInstall(ctx: AptLayerContext, request: LiveInstallRequest): Promise<LiveStatus> {
  const target = await liveTarget(ctx, request.root, request.system);
  const packages = validatePackageSpecs(request.packages);
  return withSession(target, async () => {
    // A state of an earlier boot has lost its mounts, but still names the image the root runs.
    const previous = await readLiveState(target.dir);
    let state = await recoverSession(target.dir);
    const starting = state === undefined;
    if (state === undefined) {
      const requested = target.base ?? request.base ?? previous?.base;
      if (requested === undefined) throw liveNotActive(target.root);
      const base = storeRef(requested);
      await ctx.store.resolve(base);
      state = await startSession(target, { base, ...(target.commitAs ? { commitAs: target.commitAs } : {}) });
      failpoint("apt-layer.live-install/started");
    }
    const session = state;
    const gen = await stageGeneration(target.dir, session);
    try {
      const env = await openView(target, session, gen, {
        aptCache: statePaths(ctx).aptCache,
        ...(ctx.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: ctx.sourceDateEpoch }),
      });
      try {
        await aptUpdate(env);
        await resolvePlan(env, packages);
        await download(env, packages);
        failpoint("apt-layer.live-install/downloaded");
        await applyWithApt(env, packages, []);
      } finally {
        await env.close();
      }
      failpoint("apt-layer.live-install/installed");
    } catch (error) {
      await dropStaged(target.dir, gen);
      if (starting) await endSession(target.dir, session, false);
      throw error;
    }
    // Changes since the last commit are not in its image any more.
    const { committed: _previousCommit, ...uncommitted } = session;
    const live: LiveState = {
      ...uncommitted,
      generation: gen,
      installed: [...new Set([...session.installed, ...packages])].sort(),
    };
    await switchGeneration(target.dir, live);
    return statusOf(live, target.root);
  });
}

/** The live overlay and its package changes; whatever a killed command left is recovered first. */
export async function liveStatus(ctx: AptLayerContext, request: LiveRequest): Promise<LiveStatus> {
  const target = await liveTarget(ctx, request.root, request.system);
  return withSession(target, async () => statusOf(await recoverSession(target.dir), target.root));
}

/**
 * Drops the live overlay: the root is as it was before the first live install. A file of the changes
 * in use (a program installed live and still running) fails it with LIVE_BUSY, and the overlay stays.
 */
export async function liveRollback(ctx: AptLayerContext, request: LiveRequest): Promise<LiveStatus> {
  const target = await liveTarget(ctx, request.root, request.system);
  return withSession(target, async () => {
    const state = await recoverSession(target.dir);
    if (state === undefined) throw liveNotActive(target.root);
    await endSession(target.dir, state, true);
    return { root: target.root, active: false, base: state.base, installed: [] };
  });
}

/**
 * Makes a committed image the next boot's deployment and returns the deployment's name (on a Particle
 * system: @particle/bootc's `switchImage` with the image's manifest digest). apt-layer builds images
 * and does not depend on bootc; the caller that knows the sysroot passes this in.
 */
export type DeployImage = (image: ImageInfo) => Promise<string>;

export interface LiveCommitRequest extends LiveRequest {
  readonly message: string;
  /** Name of the new image. @default the running image's name and tag (the tag moves; on a running system the deployment's image name) */
  readonly target?: string;
  /**
   * Called once the image is committed (and on a mounted image the overlay has ended). A failure here leaves the image
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
 * Turns the live changes into a new image (the root's image plus one layer: the uppers of every
 * covered tree together) and with `deploy` makes it the next boot's deployment. On the running system
 * the overlay stays until reboot (the next boot runs the committed image); on a mounted image it ends.
 * The layer is made from a copy of the uppers, so a failure before the commit leaves the live system as it was.
 */
export async function liveCommit(
  ctx: AptLayerContext,
  request: LiveCommitRequest,
): Promise<LiveCommitResult> {
  const target = await liveTarget(ctx, request.root, request.system);
  return withSession(target, async () => {
    const state = await recoverSession(target.dir);
    if (state === undefined) throw liveNotActive(target.root);
    const base = await ctx.store.resolve(state.base);
    const ref = parseImageRef(request.target ?? state.commitAs ?? `${base.name}:${base.tag}`);
    const image = await withTransaction(
      ctx,
      "apt-layer.live-commit",
      { target: formatImageRef(ref), base: base.manifestDigest, message: request.message },
      async (scope) => {
        const snapshot = path.join(scope.workDir, "upper");
        await run("cp", ["-a", "--", sessionPaths(target.dir).upper(state.generation, "."), snapshot]);
        await scope.tx.step("snapshot");
        const packages = await loadInstalledPackages(target.root);
        const layer = await createTreeLayer(ctx, scope, snapshot);
        const image = await ctx.store.commitImage({
          name: ref.name,
          tag: ref.tag,
          layers: [...base.layers, layer],
          parent: base.manifestDigest,
          builtBy: "apt-layer",
          labels: layeredLabels(
            base,
            { install: state.installed, remove: [], packages },
            { [LABELS.message]: request.message },
          ),
        });
        await scope.tx.step("committed");
        return image;
      },
    );
    if (target.keepAfterCommit) await updateState(target.dir, { ...state, committed: image.manifestDigest });
    else await endSession(target.dir, state, false);
    if (!request.deploy) return { image, deployment: "not-attempted" as const };
    try {
      return { image, deployment: { staged: await request.deploy(image) } };
    } catch (error) {
      throw liveDeployFailed(formatImageRef(ref), image.manifestDigest, error);
    }
  });
}
