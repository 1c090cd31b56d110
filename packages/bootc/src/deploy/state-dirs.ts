import { promises as fs } from "node:fs";
import path from "node:path";
import { failpoint, ifExists, pathExists, renameDurable, run } from "@particle/runtime";

/**
 * State directories: the paths of a root tree that hold a machine's data rather than the image's,
 * kept in the stateroot's shared /var as ostree keeps them (its images make them symlinks into /var).
 * Particle images keep ordinary directories there, as Debian ships them: the boot script binds the
 * /var copy over each directory (its own copy of this table, kept equal by a unit test), and staging
 * seeds the copy from the image the first time. An image that already has the ostree symlink needs
 * neither: the link leads into the bound /var.
 */
export interface StateDir {
  /** Where the directory is in the root tree. */
  readonly path: string;
  /** Its name below the stateroot's /var. */
  readonly state: string;
  /**
   * Packages install files there, so files in the image are software that the /var copy would
   * freeze at the version of the first deployment (a lint error). /home and /root hold a user's
   * start-up files instead, seeded once as /etc/skel is.
   */
  readonly packaged: boolean;
}

export const STATE_DIRS: readonly StateDir[] = [
  { path: "home", state: "home", packaged: false },
  { path: "root", state: "roothome", packaged: false },
  { path: "opt", state: "opt", packaged: true },
  { path: "srv", state: "srv", packaged: true },
  { path: "usr/local", state: "usrlocal", packaged: true },
  { path: "mnt", state: "mnt", packaged: true },
];

/** Whether a symlink at `dir.path` with this target leads to the directory's /var place (pure). */
export function linksToState(dir: StateDir, target: string): boolean {
  return path.posix.resolve("/", path.posix.dirname(dir.path), target) === `/var/${dir.state}`;
}

/**
 * How the boot script handles an image's state directory: a directory is bound over from /var, a
 * symlink to its /var place needs nothing, a missing path stays missing (the read-only image root
 * cannot get a mount point), and anything else (a file, a symlink elsewhere) is not handled.
 */
export async function stateDirKind(
  imageRoot: string,
  dir: StateDir,
): Promise<"bound" | "linked" | "missing" | "unhandled"> {
  const full = path.join(imageRoot, dir.path);
  const st = await ifExists(fs.lstat(full));
  if (st === undefined) return "missing";
  if (st.isDirectory()) return "bound";
  return st.isSymbolicLink() && linksToState(dir, await fs.readlink(full)) ? "linked" : "unhandled";
}

/**
 * Gives a stateroot's /var a copy of each state directory the image has, the first time only: an
 * existing copy is the machine's data and is never touched. Each copy appears in one rename.
 */
export async function seedStateDirs(varDir: string, imageRoot: string): Promise<string[]> {
  const seeded: string[] = [];
  for (const dir of STATE_DIRS) {
    const source = path.join(imageRoot, dir.path);
    const target = path.join(varDir, dir.state);
    if ((await stateDirKind(imageRoot, dir)) !== "bound" || (await pathExists(target))) continue;
    // A copy killed half-way is left under this name and redone by the next stage.
    const temp = path.join(varDir, `.particle-seed-${dir.state}`);
    await fs.rm(temp, { recursive: true, force: true });
    await run("cp", ["-a", "--", source, temp]);
    await run("sync", ["-f", temp]);
    failpoint("bootc.state-dirs/copied");
    await renameDurable(temp, target);
    seeded.push(dir.state);
  }
  return seeded;
}
