import { promises as fs } from "node:fs";
import path from "node:path";
import {
  bindMount,
  failpoint,
  listMounts,
  type MountEntry,
  mountOverlay,
  run,
  unmount,
  unmountAll,
} from "@particle/runtime";
import { BuildEnvironment, LAYER_OVERLAY_OPTIONS } from "../build-env/environment.js";
import type { LiveState } from "../spec.js";
import { type LiveTarget, sessionPaths } from "./target.js";

/**
 * The mounts of a live session. Each generation of changes is one set of uppers (`gen-N/upper/<tree>`)
 * over the trees' original lowers. An install stages generation N+1 (a copy of N) in a private view of
 * the system where apt runs; only when it succeeds does each live tree switch from N to N+1, so a
 * failed install never touches what the running system sees.
 */

/**
 * Binds `source` at `target` and makes the bind private. A bind of a shared mount (systemd makes / shared)
 * joins its peer group: mounts made below one would appear below the other, and the live overlay
 * mounted on /usr would also cover the bind that keeps the original /usr.
 */
export async function bindPrivate(source: string, target: string): Promise<void> {
  await fs.mkdir(target, { recursive: true });
  await bindMount(source, target);
  await makePrivate(target);
}

async function makePrivate(target: string): Promise<void> {
  await run("mount", ["--make-private", target]);
}

/** Where a tree is below the root. */
export function treePath(state: Pick<LiveState, "root">, tree: { path: string }): string {
  return path.join(state.root, tree.path);
}

/** The mount that is visible at `mountPoint`: the one no other mount there is stacked on. */
function topMount(mounts: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const here = mounts.filter((m) => m.mountPoint === mountPoint);
  return here.find((m) => !here.some((other) => other.parentId === m.id));
}

/** The generation mounted live on each tree, or undefined where none of the session's overlays is. */
export async function mountedGenerations(state: LiveState, dir: string): Promise<(number | undefined)[]> {
  const p = sessionPaths(dir);
  const mounts = await listMounts();
  return state.trees.map((tree) => {
    const top = topMount(mounts, treePath(state, tree));
    if (top?.fsType !== "overlay") return undefined;
    const upper = /(?:^|,)upperdir=([^,]+)/.exec(top.superOptions)?.[1];
    const gen = Number.parseInt(upper?.slice(`${dir}/gen-`.length) ?? "", 10);
    return upper !== undefined && Number.isInteger(gen) && p.upper(gen, tree.path) === upper
      ? gen
      : undefined;
  });
}

/** Mounts generation `gen` of tree `index` at `at` (read-only if `live` and the tree is). */
async function mountTree(
  state: LiveState,
  dir: string,
  gen: number,
  index: number,
  at: string,
  live: boolean,
): Promise<void> {
  const p = sessionPaths(dir);
  const tree = state.trees[index];
  if (tree === undefined) throw new Error(`live overlay: no tree ${index}`);
  await mountOverlay({
    lower: tree.lower,
    upper: p.upper(gen, tree.path),
    work: p.work(gen, index),
    target: at,
    extra: live && tree.readOnly ? [...LAYER_OVERLAY_OPTIONS, "ro"] : LAYER_OVERLAY_OPTIONS,
  });
}

function submountsOf(state: LiveState, index: number): LiveState["submounts"] {
  const tree = state.trees[index];
  if (tree === undefined) return [];
  return state.submounts.filter((s) => tree.path === "." || s.path.startsWith(`${tree.path}/`));
}

/**
 * Shows generation `gen` on a live tree: detaches what the session had mounted there (lazily: programs
 * running from the old generation keep it), mounts the new one, and binds the tree's submounts back.
 */
export async function showGeneration(
  state: LiveState,
  dir: string,
  index: number,
  gen: number,
  replacing: boolean,
): Promise<void> {
  const tree = state.trees[index];
  if (tree === undefined) return;
  const at = treePath(state, tree);
  if (replacing) await unmount(at, { lazy: true });
  await mountTree(state, dir, gen, index, at, true);
  failpoint("apt-layer.live-install/tree-mounted");
  for (const sub of submountsOf(state, index)) await bindMount(sub.source, path.join(state.root, sub.path));
}

/**
 * Binds back the submounts of a live tree that are not on its overlay (a switch killed between the
 * overlay and its binds leaves them under it).
 */
export async function rebindSubmounts(state: LiveState, index: number): Promise<void> {
  const tree = state.trees[index];
  if (tree === undefined) return;
  const mounts = await listMounts();
  const overlay = topMount(mounts, treePath(state, tree));
  for (const sub of submountsOf(state, index)) {
    const at = path.join(state.root, sub.path);
    if (topMount(mounts, at)?.parentId !== overlay?.id) await bindMount(sub.source, at);
  }
}

/**
 * Takes the session's overlays off every live tree, lazily: on a running system /usr is always in use
 * (every program started since the overlay went live runs from it), and a program keeps the files it
 * has open. New programs see the trees as they were. See `liveFilesInUse` for the changes themselves.
 */
export async function hideGenerations(state: LiveState, dir: string): Promise<void> {
  const mounted = await mountedGenerations(state, dir);
  for (let index = state.trees.length - 1; index >= 0; index--) {
    const tree = state.trees[index];
    if (tree !== undefined && mounted[index] !== undefined)
      await unmount(treePath(state, tree), { lazy: true });
  }
}

/**
 * Mounts generation `gen` in the session's private view of the system (the trees' overlays over
 * private binds of the root and of `target.binds`), and prepares apt's build environment there.
 * `close()` unmounts the whole view; the generation's uppers stay.
 */
export async function openView(
  target: LiveTarget,
  state: LiveState,
  gen: number,
  options: { aptCache: string; sourceDateEpoch?: number },
): Promise<BuildEnvironment> {
  const p = sessionPaths(target.dir);
  await fs.mkdir(p.view, { recursive: true });
  try {
    const whole = state.trees.findIndex((t) => t.path === ".");
    if (whole >= 0) {
      await mountTree(state, target.dir, gen, whole, p.view, false);
      await makePrivate(p.view);
    } else {
      await bindPrivate(state.root, p.view);
      for (const bind of target.binds)
        await bindPrivate(path.join(state.root, bind), path.join(p.view, bind));
      for (const [index, tree] of state.trees.entries())
        await mountTree(state, target.dir, gen, index, path.join(p.view, tree.path), false);
    }
    return await BuildEnvironment.enter(p.view, p.upper(gen, "."), {
      aptCache: options.aptCache,
      ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
    });
  } catch (error) {
    await unmountAll(p.view, { lazy: true });
    throw error;
  }
}
