import { isParticleError, ParticleError } from "./errors.js";
import { type RunOptions, type RunResult, run } from "./exec.js";

/**
 * Running a program from an untrusted root filesystem (an image, its packages' maintainer scripts, a
 * recipe script) in a bubblewrap sandbox: bwrap pivots into `root` in new mount, PID, IPC, UTS and cgroup
 * namespaces (and a new network namespace when offline), the host's root is unmounted from its view,
 * /proc is a private instance with /proc/sys read-only, /dev holds only null, zero, full, random,
 * urandom, tty and a private devpts, every mount is nosuid and nodev (a device node in the image opens
 * nothing), the program keeps only `SANDBOX_CAPABILITIES` and runs with no_new_privs, so nothing it
 * executes gains more. When bwrap or its caller dies, every process in the sandbox is killed.
 * /sys, /tmp and the like are the caller's to prepare under `root` (see apt-layer's build environment).
 */
export interface IsolateOptions {
  /** Root directory of the sandbox. */
  readonly root: string;
  /** Keep the host's network; false gives a new network namespace with only loopback. @default false */
  readonly network?: boolean;
  /** The program's whole environment (the host's is not inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the root. @default "/" */
  readonly cwd?: string;
}

/**
 * The capabilities a sandboxed program keeps: what dpkg, its maintainer scripts (useradd, chown,
 * setcap, runuser) and apt need on files of any owner, found by building the minimal server and a
 * desktop recipe. Dropped, among others: CAP_SYS_ADMIN (mount, setns), CAP_SYS_CHROOT (the chroot
 * escape), CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_DAC_READ_SEARCH (open_by_handle_at, the
 * "shocker" escape), CAP_MKNOD, CAP_NET_ADMIN, CAP_SYS_TIME, CAP_SYS_BOOT, CAP_BPF, CAP_SYSLOG.
 */
export const SANDBOX_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
];

/** The `bwrap` argument vector that runs `argv` sandboxed in `options.root` (pure). */
export function isolationArgs(argv: readonly string[], options: IsolateOptions): string[] {
  return [
    // Recursive: the mounts the caller prepared under the root come along, remounted nosuid,nodev.
    "--bind",
    options.root,
    "/",
    "--proc",
    "/proc",
    // bwrap leaves /proc/sys writable to root (its own cover skips what an unprivileged user cannot
    // write): most sysctls are the host's, so they are read-only here (the host's view, bound).
    "--ro-bind",
    "/proc/sys",
    "/proc/sys",
    "--ro-bind-try",
    "/proc/sysrq-trigger",
    "/proc/sysrq-trigger",
    "--dev",
    "/dev",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup",
    ...(options.network ? [] : ["--unshare-net"]),
    "--die-with-parent",
    // A new session: no TIOCSTI into the caller's terminal.
    "--new-session",
    "--cap-drop",
    "ALL",
    ...SANDBOX_CAPABILITIES.flatMap((cap) => ["--cap-add", cap]),
    "--chdir",
    options.cwd ?? "/",
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

/** Runs `argv` sandboxed in a root filesystem (see `isolationArgs`); throws `EXEC_FAILED` on a non-zero exit. */
export async function runIsolated(
  argv: readonly string[],
  options: IsolateOptions & Pick<RunOptions, "input" | "stdio" | "timeoutMs" | "signal">,
): Promise<RunResult> {
  try {
    return await run("bwrap", isolationArgs(argv, options), {
      env: { ...ISOLATED_ENV, ...options.env },
      replaceEnv: true,
      input: options.input,
      stdio: options.stdio,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    throw sandboxSetupError(error, options.root) ?? error;
  }
}

/**
 * bwrap's own setup failures (exit 1, its messages start with `bwrap: `) become SANDBOX_FAILED with
 * a hint; a failure of the program inside stays EXEC_FAILED.
 */
function sandboxSetupError(error: unknown, root: string): ParticleError | undefined {
  if (!isParticleError(error, "EXEC_FAILED") || error.context.exitCode !== 1) return undefined;
  const stderr = String(error.context.stderr ?? "");
  if (!stderr.startsWith("bwrap: ")) return undefined;
  return new ParticleError({
    code: "SANDBOX_FAILED",
    message: `the build sandbox (bubblewrap) could not be set up: ${stderr.split("\n")[0]?.slice(7)}`,
    hint:
      "Run as root on a kernel with mount, PID, IPC, UTS, cgroup and network namespaces. Inside a chroot, " +
      "make the chroot's root a mount point first (mount --bind DIR DIR, then chroot DIR).",
    context: { root, stderr },
    cause: error,
    exit: "unavailable",
  });
}
