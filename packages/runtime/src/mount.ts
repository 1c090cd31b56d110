import { promises as fs } from "node:fs";
import path from "node:path";
import { ParticleError } from "./errors.js";
import { run } from "./exec.js";

/** One line of /proc/self/mountinfo (see proc(5)). */
export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  readonly device: string;
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [left, right] = line.split(" - ");
    if (left === undefined || right === undefined) continue;
    const f = left.split(" ");
    const r = right.split(" ");
    entries.push({
      id: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2] ?? "",
      root: unescapeMountField(f[3] ?? ""),
      mountPoint: unescapeMountField(f[4] ?? ""),
      options: f[5] ?? "",
      fsType: r[0] ?? "",
      source: unescapeMountField(r[1] ?? ""),
      superOptions: r[2] ?? "",
    });
  }
  return entries;
}

export async function listMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readProcFile("/proc/self/mountinfo"));
}

/**
 * Reads a /proc file whole, until a read returns nothing. procfs reports a size of 0, and Node 18's
 * `fs.promises.readFile` then returns only its first read: one page of mountinfo, so mounts past it
 * (with Debian 12's Node, on any machine with a few dozen mounts) would be missing.
 */
async function readProcFile(file: string): Promise<string> {
  const handle = await fs.open(file, "r");
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024) });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await handle.close();
  }
}

export async function isMountPoint(target: string): Promise<boolean> {
  const resolved = path.resolve(target);
  return (await listMounts()).some((m) => m.mountPoint === resolved);
}

/** Mounts below `root` (including `root` itself), deepest first: the order to unmount them in. */
export async function mountsBelow(root: string): Promise<MountEntry[]> {
  const resolved = path.resolve(root);
  return (await listMounts())
    .filter((m) => m.mountPoint === resolved || m.mountPoint.startsWith(`${resolved}/`))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.id - a.id);
}

// The mount(2) option string is limited to one page; overlay lowerdir lists of many layers exceed it.
const MOUNT_DATA_LIMIT = 4000;

function checkOptionPath(p: string): void {
  if (/[,:\\\n]/.test(p)) {
    throw new ParticleError({
      code: "MOUNT_PATH_INVALID",
      message: `path ${p} cannot be used in a mount option (it contains a comma, colon or backslash)`,
      hint: "Use a path without those characters.",
      context: { path: p },
      exit: "invalidInput",
    });
  }
}

export interface MountOptions {
  readonly source: string;
  readonly target: string;
  readonly type?: string;
  readonly options?: readonly string[];
  /** Directory the `mount` process runs in: relative paths in options resolve against it. */
  readonly cwd?: string;
}

export async function mount(spec: MountOptions): Promise<void> {
  const args: string[] = [];
  if (spec.type) args.push("-t", spec.type);
  if (spec.options && spec.options.length > 0) args.push("-o", spec.options.join(","));
  args.push(spec.source, spec.target);
  await run("mount", args, { cwd: spec.cwd });
}

/** Loop-mounts a filesystem image read-only; the loop device is released on unmount (autoclear). */
export async function mountImageFile(
  file: string,
  target: string,
  type: "squashfs" | "erofs" | "ext4",
): Promise<void> {
  await mount({ source: file, target, type, options: ["ro", "loop"] });
}

export interface OverlaySpec {
  /** Lower directories, topmost first (overlayfs order). */
  readonly lower: readonly string[];
  /** Writable upper and work directories (same filesystem); omit both for a read-only stack. */
  readonly upper?: string;
  readonly work?: string;
  readonly target: string;
  /** Extra overlay options, e.g. `index=off`, `xino=off`, `ro`. */
  readonly extra?: readonly string[];
}

/** Stacks directories with overlayfs. Falls back to paths relative to their common parent when the option string would be too long. */
export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  if (spec.lower.length === 0) throw new Error("mountOverlay: at least one lower directory is required");
  if ((spec.upper === undefined) !== (spec.work === undefined))
    throw new Error("mountOverlay: upper and work go together");
  const all = [...spec.lower, ...(spec.upper ? [spec.upper, spec.work as string] : [])].map((p) =>
    path.resolve(p),
  );
  for (const p of all) checkOptionPath(p);
  const build = (rel: (p: string) => string) => {
    const options = [`lowerdir=${spec.lower.map((p) => rel(path.resolve(p))).join(":")}`];
    if (spec.upper)
      options.push(
        `upperdir=${rel(path.resolve(spec.upper))}`,
        `workdir=${rel(path.resolve(spec.work as string))}`,
      );
    if (!spec.upper) options.push("ro");
    options.push(...(spec.extra ?? []));
    return options;
  };
  let options = build((p) => p);
  let cwd: string | undefined;
  if (options.join(",").length > MOUNT_DATA_LIMIT) {
    cwd = commonParent(all);
    options = build((p) => path.relative(cwd as string, p));
  }
  await mount({ source: "overlay", target: spec.target, type: "overlay", options, cwd });
}

function commonParent(paths: readonly string[]): string {
  const split = paths.map((p) => path.dirname(p).split("/"));
  const first = split[0] ?? [""];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join("/") || "/";
}

export async function bindMount(
  source: string,
  target: string,
  options: { readOnly?: boolean } = {},
): Promise<void> {
  await mount({ source, target, options: ["bind"] });
  if (options.readOnly) await mount({ source: target, target, options: ["remount", "bind", "ro"] });
}

/** Unmounts `target`; with `lazy`, detaches it even while busy. */
export async function unmount(target: string, options: { lazy?: boolean } = {}): Promise<void> {
  await run("umount", [...(options.lazy ? ["--lazy"] : []), target]);
}

/** Unmounts everything at or below `root`, deepest first. Returns the mount points undone. */
export async function unmountAll(root: string, options: { lazy?: boolean } = {}): Promise<string[]> {
  const done: string[] = [];
  for (const entry of await mountsBelow(root)) {
    await unmount(entry.mountPoint, options);
    done.push(entry.mountPoint);
  }
  return done;
}
