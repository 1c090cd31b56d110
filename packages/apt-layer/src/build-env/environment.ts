import { promises as fs } from "node:fs";
import path from "node:path";
import {
  bindMount,
  mkdirDurable,
  mount,
  mountOverlay,
  mountsBelow,
  pathExists,
  type RunResult,
  runIsolated,
  unmount,
  unmountAll,
} from "@particle/runtime";
import { DEFAULT_SOURCE_DATE_EPOCH } from "../context.js";
import { imagePathUnsafe } from "../errors.js";

/**
 * The build environment: a writable overlay on read-only lower directories (the mounted base image),
 * where apt and dpkg run sandboxed (runtime's `runIsolated`: bubblewrap, its own minimal /dev and /proc,
 * few capabilities) with a read-only /sys,
 * tmpfs /tmp and /run, the host's resolver for downloads, apt's caches bound from outside the image
 * (so they never land in a layer), and a policy-rc.d that stops maintainer scripts from starting
 * daemons. Every change lands in `upper`; `close()` removes what the environment added and unmounts.
 */
export interface BuildEnvironmentOptions {
  /** Read-only lower directories, topmost first. */
  readonly lower: readonly string[];
  /** Scratch directory for the upper, work and root mount point. */
  readonly dir: string;
  /** Directory for apt's downloaded .debs and package lists, shared between builds. */
  readonly aptCache: string;
  /** Mount the overlay at this directory instead of `dir/root` (the live overlay mounts over the root itself). */
  readonly target?: string;
  /** Timestamp the tools clamp file times to. @default 1700000000 */
  readonly sourceDateEpoch?: number;
}

/** Overlay options whose upper is a valid layer as is: no metacopy-only files, redirects or index entries. */
export const LAYER_OVERLAY_OPTIONS: readonly string[] = [
  "metacopy=off",
  "redirect_dir=off",
  "index=off",
  "xino=off",
];

const POLICY_RC_D =
  "#!/bin/sh\n# Written by apt-layer for the duration of a build: no daemon starts in a build.\nexit 101\n";

/** Environment of every command run in a build. */
const BUILD_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: "noninteractive",
  DEBCONF_NONINTERACTIVE_SEEN: "true",
  APT_LISTCHANGES_FRONTEND: "none",
};

export class BuildEnvironment {
  private closed = false;

  private constructor(
    readonly root: string,
    readonly upper: string,
    private readonly wrotePolicy: boolean,
    private readonly sourceDateEpoch: string,
    /** Mounts that existed below the root before the environment was prepared (the overlay, for one). */
    private readonly preexisting: ReadonlySet<number>,
  ) {}

  static async open(options: BuildEnvironmentOptions): Promise<BuildEnvironment> {
    const upper = path.join(options.dir, "upper");
    const work = path.join(options.dir, "work");
    const root = options.target ?? path.join(options.dir, "root");
    for (const d of [upper, work, root]) await mkdirDurable(d);
    await mountOverlay({ lower: options.lower, upper, work, target: root, extra: LAYER_OVERLAY_OPTIONS });
    try {
      return await BuildEnvironment.enter(root, upper, options);
    } catch (error) {
      await unmountAll(root, { lazy: true });
      throw error;
    }
  }

  /**
   * Prepares an overlay that is already mounted at `root` (a live overlay between two commands).
   * `close({ keepOverlay: true })` then leaves the overlay itself mounted.
   */
  static async enter(
    root: string,
    upper: string,
    options: Pick<BuildEnvironmentOptions, "aptCache" | "sourceDateEpoch">,
  ): Promise<BuildEnvironment> {
    const before = new Set((await mountsBelow(root)).map((m) => m.id));
    try {
      // The sandbox mounts its own /dev and /proc there: a link would make bwrap mount elsewhere.
      for (const dir of ["dev", "proc"]) await noLinkPath(root, dir);
      await bindMount("/sys", await noLinkPath(root, "sys"), { readOnly: true });
      for (const dir of ["tmp", "run"]) {
        await mount({
          source: "tmpfs",
          target: await noLinkPath(root, dir),
          type: "tmpfs",
          options: ["mode=1777", "nosuid", "nodev", "size=1g"],
        });
      }
      await fs.mkdir(path.join(root, "run/lock"), { mode: 0o1777 });
      const resolv = path.join(await noLinkPath(root, "etc"), "resolv.conf");
      if ((await pathExists("/etc/resolv.conf")) && (await isRegularFile(resolv)))
        await bindMount("/etc/resolv.conf", resolv, { readOnly: true });
      for (const [inside, outside] of [
        ["var/cache/apt/archives", "archives"],
        ["var/lib/apt/lists", "lists"],
      ] as const) {
        await fs.mkdir(path.join(options.aptCache, outside, "partial"), { recursive: true });
        const target = await noLinkPath(root, inside);
        await fs.mkdir(target, { recursive: true });
        await bindMount(path.join(options.aptCache, outside), target);
      }
      const policy = path.join(await noLinkPath(root, "usr/sbin"), "policy-rc.d");
      const wrotePolicy = !(await pathExists(policy));
      if (wrotePolicy) await fs.writeFile(policy, POLICY_RC_D, { mode: 0o755 });
      return new BuildEnvironment(
        root,
        upper,
        wrotePolicy,
        String(options.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH),
        before,
      );
    } catch (error) {
      await unmountAdded(root, before);
      throw error;
    }
  }

  /** Runs a command inside the environment; `network: false` (the default) gives it no network at all. */
  async run(
    argv: readonly string[],
    options: { network?: boolean; input?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    return runIsolated(argv, {
      root: this.root,
      network: options.network ?? false,
      // Debian's tools (dpkg, useradd, man-db …) clamp timestamps to it: same inputs, same files.
      env: { ...BUILD_ENV, SOURCE_DATE_EPOCH: this.sourceDateEpoch, ...options.env },
      input: options.input,
    });
  }

  /**
   * Removes the policy-rc.d it wrote and unmounts what it mounted, and the overlay too unless
   * `keepOverlay`; the upper directory stays for the commit.
   */
  async close(options: { keepOverlay?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.wrotePolicy) await fs.rm(path.join(this.root, "usr/sbin/policy-rc.d"), { force: true });
    } finally {
      if (options.keepOverlay) await unmountAdded(this.root, this.preexisting);
      else await unmountAll(this.root);
    }
  }
}

/** Unmounts, deepest first, the mounts below `root` that are not in `keep`. */
async function unmountAdded(root: string, keep: ReadonlySet<number>): Promise<void> {
  for (const entry of await mountsBelow(root)) if (!keep.has(entry.id)) await unmount(entry.mountPoint);
}

/**
 * `root/rel`, refusing a symbolic link on the way. The environment mounts and writes there from the
 * host's mount namespace, where an image's link (`dev -> /dev`, `usr -> /`) would resolve to a host
 * path; a missing tail is fine (it is created below a real directory).
 */
async function noLinkPath(root: string, rel: string): Promise<string> {
  let current = root;
  for (const part of rel.split("/")) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (stat === undefined) break;
    if (stat.isSymbolicLink()) throw imagePathUnsafe(path.relative(root, current));
  }
  return path.join(root, rel);
}

async function isRegularFile(p: string): Promise<boolean> {
  try {
    return (await fs.lstat(p)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
