import { promises as fs } from "node:fs";
import path from "node:path";
import {
  API_VERSION,
  failpoint,
  listMounts,
  mkdirDurable,
  mount,
  readFileIfExists,
  run,
  unmountAll,
  writeJsonAtomic,
} from "@particle/runtime";
import { liveBusy } from "../errors.js";
import { LiveState } from "../spec.js";
import { liveFilesInUse } from "./in-use.js";
import {
  bindPrivate,
  hideGenerations,
  mountedGenerations,
  rebindSubmounts,
  showGeneration,
  treePath,
} from "./mounts.js";
import { type LiveTarget, sessionPaths } from "./target.js";

/**
 * A live session on disk: `state.json` (which generation is live, what the trees' lowers are), the
 * generations of uppers, and private binds of what the overlays cover. Every step leaves a state that
 * `recoverSession` turns into either a clean active session or no session at all.
 */

export async function currentBootId(): Promise<string> {
  return (await fs.readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
}

export async function readLiveState(dir: string): Promise<LiveState | undefined> {
  const text = await readFileIfExists(sessionPaths(dir).state);
  return text === undefined ? undefined : LiveState.parse(JSON.parse(text));
}

async function writeState(dir: string, state: LiveState): Promise<void> {
  await writeJsonAtomic(sessionPaths(dir).state, LiveState.parse(state));
}

/** Removes a session directory and everything mounted below it (its tmpfs, binds and view). */
async function discard(dir: string): Promise<void> {
  await unmountAll(dir, { lazy: true });
  await fs.rm(dir, { recursive: true, force: true });
}

/** Mount points below `dir` (not `dir` itself), parents first, each once. */
function mountPointsBelow(mountPoints: readonly string[], dir: string): string[] {
  const prefix = dir === "/" ? "/" : `${dir}/`;
  return [...new Set(mountPoints.filter((m) => m.startsWith(prefix) && m !== dir))].sort();
}

/**
 * Starts a session with generation 0 (nothing live yet): the tmpfs of a transient session, private
 * binds of the trees as they are and of the mounts below them (which the overlays will cover).
 */
export async function startSession(
  target: LiveTarget,
  image: { base: string; commitAs?: string },
): Promise<LiveState> {
  const p = sessionPaths(target.dir);
  await discard(target.dir);
  await mkdirDurable(target.dir);
  try {
    if (target.transient) {
      await mount({ source: "tmpfs", target: target.dir, type: "tmpfs", options: ["mode=0700"] });
      await run("mount", ["--make-private", target.dir]);
    }
    const mountPoints = (await listMounts()).map((m) => m.mountPoint);
    const trees: LiveState["trees"] = [];
    const submounts: LiveState["submounts"] = [];
    for (const [index, tree] of target.trees.entries()) {
      const at = treePath(target, tree);
      for (const below of mountPointsBelow(mountPoints, at)) {
        if (below === target.dir || below.startsWith(`${target.dir}/`)) continue;
        const source = p.submount(submounts.length);
        await bindPrivate(below, source);
        submounts.push({ path: path.relative(target.root, below), source });
      }
      const readOnly = tree.readOnly ?? false;
      if (tree.lower) {
        trees.push({ path: tree.path, lower: [...tree.lower], readOnly });
      } else {
        await bindPrivate(at, p.lower(index));
        trees.push({ path: tree.path, lower: [p.lower(index)], readOnly });
      }
    }
    const state: LiveState = {
      apiVersion: API_VERSION,
      kind: "LiveOverlay",
      root: target.root,
      base: image.base,
      ...(image.commitAs ? { commitAs: image.commitAs } : {}),
      startedAt: new Date().toISOString(),
      installed: [],
      generation: 0,
      bootId: await currentBootId(),
      trees,
      submounts,
      ending: false,
    };
    await writeState(target.dir, state);
    return state;
  } catch (error) {
    await discard(target.dir);
    throw error;
  }
}

/**
 * Brings a session to a clean state after whatever interrupted it, and returns it when it is active.
 * No state, a state of an earlier boot, a session that never went live or that was ending: the
 * session is removed. Otherwise apt's view is unmounted, every live tree shows the state's generation
 * (an interrupted switch is finished) and other generations are removed.
 */
export async function recoverSession(dir: string): Promise<LiveState | undefined> {
  const state = await readLiveState(dir);
  if (state === undefined || state.bootId !== (await currentBootId())) {
    await discard(dir);
    return undefined;
  }
  await unmountAll(sessionPaths(dir).view, { lazy: true });
  if (state.ending || state.generation === 0) {
    await hideGenerations(state, dir);
    await discard(dir);
    return undefined;
  }
  const mounted = await mountedGenerations(state, dir);
  for (const [index, gen] of mounted.entries()) {
    if (gen !== state.generation)
      await showGeneration(state, dir, index, state.generation, gen !== undefined);
    else await rebindSubmounts(state, index);
  }
  await dropGenerations(dir, state.generation);
  return state;
}

/** Removes every generation directory but `keep`. */
async function dropGenerations(dir: string, keep: number): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const gen = /^gen-(\d+)$/.exec(name)?.[1];
    if (gen !== undefined && Number(gen) !== keep)
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Prepares generation `state.generation + 1`: a copy of the live uppers, or for the first install
 * empty uppers whose directories carry the owner and mode of the directories they cover (an overlay's
 * root, and a layer's directory, take them from the upper).
 */
export async function stageGeneration(dir: string, state: LiveState): Promise<number> {
  const p = sessionPaths(dir);
  const next = state.generation + 1;
  await fs.rm(p.generation(next), { recursive: true, force: true });
  await fs.mkdir(p.generation(next));
  if (state.generation > 0) {
    await run("cp", ["-a", "--", p.upper(state.generation, "."), p.upper(next, ".")]);
  } else {
    for (const tree of state.trees) {
      let rel = ".";
      for (const part of [".", ...tree.path.split("/").filter((s) => s !== ".")]) {
        rel = path.join(rel, part);
        const upper = p.upper(next, rel);
        const stat = await fs.stat(path.join(state.root, rel));
        await fs.mkdir(upper, { recursive: true });
        await fs.chown(upper, stat.uid, stat.gid);
        await fs.chmod(upper, stat.mode & 0o7777);
      }
    }
  }
  for (const index of state.trees.keys()) await fs.mkdir(p.work(next, index), { recursive: true });
  return next;
}

/** Drops a staged generation that did not go live. */
export async function dropStaged(dir: string, gen: number): Promise<void> {
  await fs.rm(sessionPaths(dir).generation(gen), { recursive: true, force: true });
}

/**
 * Makes `live.generation` the live one: the state says so first (a crash after that is finished by
 * recovery), then each tree switches, then the previous generation is removed.
 */
export async function switchGeneration(dir: string, live: LiveState): Promise<void> {
  const gen = live.generation;
  await writeState(dir, live);
  failpoint("apt-layer.live-install/state-written");
  const mounted = await mountedGenerations(live, dir);
  for (const index of live.trees.keys()) {
    await showGeneration(live, dir, index, gen, mounted[index] !== undefined);
    failpoint("apt-layer.live-install/tree-switched");
  }
  await dropGenerations(dir, gen);
}

export async function updateState(dir: string, state: LiveState): Promise<void> {
  await writeState(dir, state);
}

/**
 * Ends a session: the overlays come off and the session directory goes. With `refuseBusy`, a file of
 * the changes that a program uses fails it with LIVE_BUSY and the session stays. Killed in between,
 * recovery finishes the end (the state says `ending` first).
 */
export async function endSession(dir: string, state: LiveState, refuseBusy: boolean): Promise<void> {
  if (refuseBusy) {
    const busy = await liveFilesInUse(state, dir);
    if (busy.length > 0) throw liveBusy(busy);
  }
  await writeState(dir, { ...state, ending: true });
  failpoint("apt-layer.live-end/ending");
  await hideGenerations(state, dir);
  await discard(dir);
}
