import { recoverPending, withLock } from "@particle/runtime";
import { recoverDirUpdate, UPDATE_OP } from "./dir-update.js";
import { type BootTarget, statePaths } from "./target.js";

export interface LockedOptions {
  /** How long to wait for another bootupd command. @default 0 (fail at once, naming the holder) */
  readonly lockTimeoutMs?: number;
}

/**
 * Runs `body` holding the target's bootupd lock, after finishing any update a previous command left
 * interrupted. Returns the ids of the transactions recovered along with the result.
 */
export async function withBootLock<T>(
  target: BootTarget,
  options: LockedOptions,
  body: (recovered: string[]) => Promise<T>,
): Promise<T> {
  const paths = statePaths(target);
  return withLock(
    paths.lock,
    { purpose: `the bootloader state in ${target.boot}`, timeoutMs: options.lockTimeoutMs ?? 0 },
    async () => {
      const recovered = await recoverPending(paths.journal, {
        [UPDATE_OP]: (record) => recoverDirUpdate(target, record),
      });
      return body(recovered.map((r) => r.id));
    },
  );
}
