import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { mkdirDurable } from "./atomic.js";
import { ParticleError } from "./errors.js";

/**
 * An exclusive lock between processes. The lock is a directory (mkdir is atomic on every local
 * filesystem) holding an `owner` file that names the holder. A holder that died (kill -9, power loss
 * within the same boot) is detected by its pid and start time and the lock is taken over; the error
 * for a live holder names its pid and command line.
 *
 * Locks are re-entrant within one process: nested operations (bootc calling into the store) share it.
 */

interface Owner {
  readonly pid: number;
  readonly startTime: string;
  readonly command: string;
  readonly purpose: string;
  readonly since: string;
}

export interface LockOptions {
  /** What the lock protects, for the error message ("the image store"). */
  readonly purpose: string;
  /** How long to wait for a live holder. 0 fails at once. @default 0 */
  readonly timeoutMs?: number;
}

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

const held = new Map<string, number>();

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counts from the ')' that ends the command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function processCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

function isAlive(owner: Owner): boolean {
  return processStartTime(owner.pid) === owner.startTime;
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(lockDir, "owner"), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

async function tryCreate(lockDir: string, purpose: string): Promise<boolean> {
  try {
    await fs.mkdir(lockDir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  const owner: Owner = {
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? "",
    command: processCommand(process.pid),
    purpose,
    since: new Date().toISOString(),
  };
  const temp = path.join(lockDir, `.owner-${randomBytes(4).toString("hex")}`);
  await fs.writeFile(temp, JSON.stringify(owner));
  await fs.rename(temp, path.join(lockDir, "owner"));
  return true;
}

/** Removes a dead holder's lock. Renaming first makes the takeover atomic when two waiters race. */
async function breakStale(lockDir: string): Promise<void> {
  const grave = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await fs.rename(lockDir, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  await fs.rm(grave, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a lock directory may exist without an owner file before it counts as abandoned. */
const OWNERLESS_GRACE_MS = 2_000;

export async function acquireLock(lockDir: string, options: LockOptions): Promise<Lock> {
  const key = path.resolve(lockDir);
  const release = async () => {
    const count = (held.get(key) ?? 1) - 1;
    if (count > 0) {
      held.set(key, count);
      return;
    }
    held.delete(key);
    await fs.rm(key, { recursive: true, force: true });
  };
  const depth = held.get(key);
  if (depth !== undefined) {
    held.set(key, depth + 1);
    return { path: key, release };
  }
  await mkdirDurable(path.dirname(key));
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    if (await tryCreate(key, options.purpose)) {
      held.set(key, 1);
      return { path: key, release };
    }
    const owner = await readOwner(key);
    if (owner === undefined) {
      const stat = await fs.stat(key).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > OWNERLESS_GRACE_MS) await breakStale(key);
    } else if (!isAlive(owner)) {
      await breakStale(key);
      continue;
    } else if (Date.now() >= deadline) {
      throw new ParticleError({
        code: "LOCK_HELD",
        message: `${options.purpose} is locked by process ${owner.pid} (${owner.command || "unknown command"}) since ${owner.since}`,
        hint: "Wait for that command to finish and retry, or pass a longer --lock-timeout.",
        context: { lock: key, pid: owner.pid, command: owner.command },
        exit: "locked",
      });
    }
    await sleep(50 + Math.random() * 50);
  }
}

/** Runs `body` while holding the lock, releasing it however `body` ends. */
export async function withLock<T>(lockDir: string, options: LockOptions, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockDir, options);
  try {
    return await body();
  } finally {
    await lock.release();
  }
}
