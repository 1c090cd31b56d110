import { promises as fs } from "node:fs";
import path from "node:path";
import { sha256Hex } from "@particle/runtime";
import { type AptLayerContext, statePaths } from "../context.js";
import { liveRootUnsupported } from "../errors.js";

/**
 * What a live overlay covers. A mounted image (`--root DIR`) is covered whole, by one overlay on the
 * directory. The running system's `/` cannot be: it is in use, and /etc and /var are mounts of their own.
 * There the overlay covers the trees a package install writes (/usr, /opt when the image has it, /etc
 * and the image's package database /var/lib/dpkg), each with its upper in one session directory, so
 * that the uppers together are one layer tree (usr/…, etc/…, var/lib/dpkg/…).
 */

/** One directory the overlay covers. */
export interface LiveTree {
  /** Below the root ("." for the root itself). */
  readonly path: string;
  /**
   * The tree as the image has it, topmost first. Unset: a private bind of the directory as it is
   * when the session starts (the overlay covers the directory itself after that).
   */
  readonly lower?: readonly string[];
  /**
   * Mounted read-only on the running system, as the image's tree was: only live installs change it
   * (a plain `apt install` still finds the package database read-only). @default false
   */
  readonly readOnly?: boolean;
}

/** How a booted Particle deployment is mounted (see @particle/bootc's boot script), as the caller knows it. */
export interface RunningSystem {
  /** The image the machine runs, as the context's store names it (its manifest digest). */
  readonly image: string;
  /** What a live commit is called unless told otherwise (the deployment's image name:tag). */
  readonly name: string;
  /**
   * /etc as booted, topmost first: the deployment's /etc upper over the image's /etc. /etc is itself
   * an overlay on the image's overlay, and overlayfs stacks no third level: the live /etc overlay
   * stacks these directories instead.
   */
  readonly etc: readonly string[];
  /** A runtime directory (gone at reboot) that holds the session on a tmpfs of its own. */
  readonly runDir: string;
}

export interface LiveTarget {
  readonly root: string;
  readonly trees: readonly LiveTree[];
  /** Mounts below the root that apt's view of the system needs as they are (the shared /var). */
  readonly binds: readonly string[];
  /** The session directory: state.json, generations of uppers, private binds, apt's view. */
  readonly dir: string;
  /** The session directory is a tmpfs mounted for the session: the changes are gone after a reboot. */
  readonly transient: boolean;
  /**
   * After a commit the overlay stays until reboot (the running system boots the committed image
   * next), or ends (a mounted image, whose next use is the committed image).
   */
  readonly keepAfterCommit: boolean;
  /** The image the root runs, when the target knows it. */
  readonly base?: string;
  readonly commitAs?: string;
}

/** The directories of a session (pure). */
export function sessionPaths(dir: string) {
  return {
    state: path.join(dir, "state.json"),
    lock: `${dir}.lock`,
    view: path.join(dir, "view"),
    lower: (index: number) => path.join(dir, "lower", String(index)),
    submount: (index: number) => path.join(dir, "sub", String(index)),
    generation: (gen: number) => path.join(dir, `gen-${gen}`),
    upper: (gen: number, tree: string) => path.join(dir, `gen-${gen}`, "upper", tree),
    work: (gen: number, index: number) => path.join(dir, `gen-${gen}`, "work", String(index)),
  };
}

/** Trees covered on a running system (pure): `/opt` only where the image has a directory of its own there. */
export function runningSystemTrees(system: RunningSystem, optIsImageDir: boolean): LiveTree[] {
  return [
    { path: "usr", readOnly: true },
    ...(optIsImageDir ? [{ path: "opt", readOnly: true }] : []),
    // /etc was writable before the session and stays so.
    { path: "etc", lower: system.etc },
    { path: "var/lib/dpkg", readOnly: true },
  ];
}

/**
 * The target for `root`: the running system when `root` is the machine's / under any name (a link to
 * it, /proc/self/root, a bind mount of it; `system` must then say how it is mounted), else the
 * directory itself.
 */
export async function liveTarget(
  ctx: AptLayerContext,
  root: string,
  system?: RunningSystem,
): Promise<LiveTarget> {
  const resolved = await fs.realpath(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return path.resolve(root);
    throw error;
  });
  const stat = await fs.stat(resolved).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  const machineRoot = await fs.stat("/");
  const isMachineRoot = resolved === "/" || (stat?.dev === machineRoot.dev && stat.ino === machineRoot.ino);
  if (!isMachineRoot) {
    return {
      root: resolved,
      trees: [{ path: "." }],
      binds: [],
      dir: path.join(statePaths(ctx).live, sha256Hex(resolved).slice(0, 16)),
      transient: false,
      keepAfterCommit: false,
    };
  }
  if (system === undefined) throw liveRootUnsupported();
  const opt = await fs.lstat("/opt").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  // A directory of the read-only image; a bind of the shared /var's copy (or a link into /var) is writable already.
  const optIsImageDir = opt?.isDirectory() === true && opt.dev === machineRoot.dev;
  return {
    root: "/",
    trees: runningSystemTrees(system, optIsImageDir),
    binds: ["var"],
    dir: path.join(system.runDir, "apt-layer", "live"),
    transient: true,
    keepAfterCommit: true,
    base: system.image,
    commitAs: system.name,
  };
}
