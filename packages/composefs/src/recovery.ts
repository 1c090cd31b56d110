import { promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError, type Recoverer, recoverPending, type TransactionRecord } from "@particle/runtime";
import { recoverGc } from "./gc.js";
import { recoverCreate } from "./layer.js";
import type { StorePaths } from "./layout.js";

/**
 * What the next writer does about operations that were killed. Every op makes index.json the single
 * commit point (one atomic replace), so a killed commit, rollback, remove or restore has either
 * happened entirely or not at all; what it leaves behind are unreferenced blobs, which gc removes.
 * create leaves a staging file, and gc may have blobs left to sweep.
 */
function recoverers(paths: StorePaths): Record<string, Recoverer> {
  const nothingToUndo: Recoverer = async () => {};
  return {
    "store.create": (record) => recoverCreate(record.intent),
    "store.commit": nothingToUndo,
    "store.rollback": nothingToUndo,
    "store.remove": nothingToUndo,
    "store.restore": nothingToUndo,
    "store.gc": (record) => recoverGc(paths, record.intent),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Staging files are named `<kind>-<pid>-<random>`; those of dead processes are garbage. */
async function removeDeadStaging(paths: StorePaths): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.tmpDir);
  } catch (error) {
    // A store made by another tool has no staging area yet; any other failure is real.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw fromSystemError(error, `reading ${paths.tmpDir}`, paths.tmpDir);
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(paths.tmpDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Finishes or undoes what killed writers left. Call with the writer lock held. */
export async function recoverStore(paths: StorePaths): Promise<TransactionRecord[]> {
  const recovered = await recoverPending(paths.journalDir, recoverers(paths));
  await removeDeadStaging(paths);
  return recovered;
}
