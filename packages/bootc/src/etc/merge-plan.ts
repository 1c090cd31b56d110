/**
 * The /etc three-way merge, as ostree does it, planned without touching disk. A deployment's /etc is
 * an overlay: the image's /etc below, the deployment's `etc/upper` above. The upper therefore holds
 * exactly the local changes (files written, whiteouts for deletions, opaque directories for replaced
 * trees), so the merge only looks at the paths in the old upper:
 *
 * - an entry equal to the old image's default is no local change (a copy-up without edits): dropped;
 * - a local change where the new image kept the old default is carried over;
 * - where the new image changed the entry too: if both ended equal nothing is needed, otherwise the
 *   local version wins (as in ostree) and the path is reported as a conflict.
 */

/** What is at one path of a tree; `hash` for files, `target` for symlinks, `rdev` for devices. */
export interface EtcEntry {
  readonly type: "file" | "dir" | "symlink" | "other";
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly hash?: string;
  readonly target?: string;
  readonly rdev?: number;
}

/** An entry of the overlay upper: an entry, a whiteout (deleted locally), or an opaque directory. */
export type UpperEntry = (EtcEntry & { readonly opaque?: boolean }) | { readonly type: "whiteout" };

export type EtcAction =
  /** Copy the local entry into the new upper (a directory: its metadata only, unless opaque). */
  | "copy"
  /** Write a whiteout: the file stays deleted. */
  | "whiteout";

export type EtcChange = "added" | "modified" | "deleted" | "replaced-tree";

export interface EtcMergeStep {
  readonly path: string;
  readonly action: EtcAction;
  readonly change: EtcChange;
  /** Upstream changed this path as well and the local version was kept. */
  readonly conflict: boolean;
}

export interface EtcMergeInput {
  /** Entries of the old deployment's upper, keyed by path relative to /etc. */
  readonly local: ReadonlyMap<string, UpperEntry>;
  /** The old image's /etc at the same paths (absent = not in the image). */
  readonly base: ReadonlyMap<string, EtcEntry>;
  /** The new image's /etc at the same paths. */
  readonly upstream: ReadonlyMap<string, EtcEntry>;
}

export interface EtcMergePlan {
  readonly steps: readonly EtcMergeStep[];
  readonly conflicts: readonly string[];
}

/** Same type, metadata and content. Directories compare metadata only: children are separate paths. */
export function sameEntry(a: EtcEntry | undefined, b: EtcEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.type === b.type &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.hash === b.hash &&
    a.target === b.target &&
    a.rdev === b.rdev
  );
}

/** Below an opaque directory everything comes with it. */
function insideOpaque(path: string, opaque: readonly string[]): boolean {
  return opaque.some((dir) => path.startsWith(`${dir}/`));
}

export function planEtcMerge(input: EtcMergeInput): EtcMergePlan {
  const steps: EtcMergeStep[] = [];
  const paths = [...input.local.keys()].sort();
  const opaque = paths.filter((p) => {
    const e = input.local.get(p);
    return e?.type === "dir" && e.opaque === true;
  });
  for (const path of paths) {
    if (insideOpaque(path, opaque)) continue;
    const local = input.local.get(path) as UpperEntry;
    const base = input.base.get(path);
    const upstream = input.upstream.get(path);
    if (local.type === "whiteout") {
      if (base === undefined) continue; // deleted something the image never had
      if (upstream === undefined) continue; // upstream deleted it too
      steps.push({ path, action: "whiteout", change: "deleted", conflict: !sameEntry(base, upstream) });
      continue;
    }
    const replacedTree = local.type === "dir" && local.opaque === true;
    if (!replacedTree && sameEntry(local, base)) continue; // copied up, not changed
    const change: EtcChange = replacedTree ? "replaced-tree" : base === undefined ? "added" : "modified";
    if (sameEntry(base, upstream)) {
      steps.push({ path, action: "copy", change, conflict: false });
    } else if (!replacedTree && sameEntry(local, upstream)) {
      // Both sides made the same change: the new image already has it.
    } else {
      steps.push({ path, action: "copy", change, conflict: true });
    }
  }
  return { steps, conflicts: steps.filter((s) => s.conflict).map((s) => s.path) };
}
