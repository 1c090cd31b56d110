import { type RunOptions, type RunResult, run } from "./exec.js";

/**
 * Running a program inside a root filesystem, isolated from the host: its own mount, PID, IPC and UTS
 * namespaces (and network namespace when offline), chrooted, with a private /proc mounted inside the
 * new PID namespace. The host's mounts, processes and hostname are untouched; when the program exits
 * every process it started is killed (`--kill-child`) and the private mounts vanish with the namespace.
 * Device nodes, /sys, /tmp and the like are the caller's to prepare under `root` (see apt-layer's build
 * environment).
 */
export interface IsolateOptions {
  /** Root directory to chroot into. */
  readonly root: string;
  /** Keep the host's network; false gives an empty network namespace (loopback only, down). @default false */
  readonly network?: boolean;
  /** The program's whole environment (the host's is not inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the root. @default "/" */
  readonly cwd?: string;
}

/** The `unshare` argument vector that runs `argv` isolated in `options.root` (pure). */
export function isolationArgs(argv: readonly string[], options: IsolateOptions): string[] {
  return [
    "--mount",
    "--pid",
    "--ipc",
    "--uts",
    ...(options.network ? [] : ["--net"]),
    "--fork",
    "--kill-child",
    "--mount-proc=/proc",
    `--root=${options.root}`,
    `--wd=${options.cwd ?? "/"}`,
    "--",
    ...argv,
  ];
}

/** A minimal, predictable environment for programs run in an image. */
export const ISOLATED_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  TERM: "dumb",
};

/** Runs `argv` isolated in a root filesystem (see `isolationArgs`); throws `EXEC_FAILED` on a non-zero exit. */
export async function runIsolated(
  argv: readonly string[],
  options: IsolateOptions & Pick<RunOptions, "input" | "stdio" | "timeoutMs" | "signal">,
): Promise<RunResult> {
  return run("unshare", isolationArgs(argv, options), {
    env: { ...ISOLATED_ENV, ...options.env },
    replaceEnv: true,
    input: options.input,
    stdio: options.stdio,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
}
