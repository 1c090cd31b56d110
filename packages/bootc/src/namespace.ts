import { spawnSync } from "node:child_process";

const MARK = "PARTICLE_BOOTC_PRIVATE_MOUNTS";

/**
 * Runs this program again in a private mount namespace and returns its exit code, or undefined when
 * already there (or not root). Deploying mounts images for a moment; on a booted system `/` is shared,
 * and a service started meanwhile (ProtectSystem=, PrivateTmp=) gets its own copy of those mounts,
 * which keeps their directories busy after we unmount ours. Mounts made in a private namespace are
 * seen by no one else, and vanish with the process even if it is killed.
 */
export function reexecWithPrivateMounts(argv: readonly string[] = process.argv): number | undefined {
  if (process.env[MARK] === "1" || process.getuid?.() !== 0) return undefined;
  const [node, script, ...args] = argv;
  const result = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "--",
      node as string,
      ...process.execArgv,
      script as string,
      ...args,
    ],
    {
      stdio: "inherit",
      env: { ...process.env, [MARK]: "1" },
    },
  );
  if (result.error) return undefined; // no unshare: run here
  // Die the way the child died, so a supervisor (or a kill test) sees the same thing.
  if (result.signal) process.kill(process.pid, result.signal);
  return result.status ?? 1;
}
