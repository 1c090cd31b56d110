import { promises as fs } from "node:fs";
import path from "node:path";
import { processFiles } from "@particle/runtime";
import type { LiveState } from "../spec.js";
import { treePath } from "./mounts.js";
import { sessionPaths } from "./target.js";

/**
 * Which programs use the live changes: before a rollback takes the overlays off, a program still
 * running a package installed live (its executable, a mapped library, an open file) is named, so the
 * rollback can refuse instead of leaving it running on files that are gone for everyone else.
 */

export interface FileInUse {
  readonly pid: number;
  readonly command: string;
  readonly file: string;
}

/**
 * Files of the live changes (present in the live uppers) that a process runs, maps or has open:
 * taking the overlay off under them would leave the program running a package that is gone.
 */
export async function liveFilesInUse(state: LiveState, dir: string): Promise<FileInUse[]> {
  const p = sessionPaths(dir);
  const found: FileInUse[] = [];
  const root = await fs.stat("/");
  for (const { pid, files } of await processFiles({ mapped: true })) {
    if (pid === process.pid) continue;
    // Only programs that see this root: their paths mean the same files (a container's do not).
    const theirs = await fs.stat(path.join("/proc", String(pid), "root")).catch(() => undefined);
    if (theirs?.dev !== root.dev || theirs.ino !== root.ino) continue;
    // A file deleted since the process opened it still names the live change it was.
    for (const file of new Set(files.map((f) => f.replace(/ \(deleted\)$/, "")))) {
      const tree = state.trees.find((t) => {
        const at = treePath(state, t);
        return file === at || file.startsWith(at === "/" ? "/" : `${at}/`);
      });
      if (tree === undefined) continue;
      const upper = path.join(
        p.upper(state.generation, tree.path),
        path.relative(treePath(state, tree), file),
      );
      const stat = await fs.lstat(upper).catch(() => undefined);
      // A whiteout (char 0:0) in the upper is a deletion, not a file of the changes.
      if (stat === undefined || stat.isDirectory() || (stat.isCharacterDevice() && stat.rdev === 0)) continue;
      const command = await fs.readFile(path.join("/proc", String(pid), "comm"), "utf8").catch(() => "");
      found.push({ pid, command: command.trim(), file });
    }
  }
  return found;
}
