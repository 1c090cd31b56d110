import { execa, type ResultPromise } from "execa";
import { ParticleError } from "./errors.js";

/** The Debian package that provides each external tool, so that a missing tool gets an actionable hint. */
const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  mksquashfs: "squashfs-tools",
  unsquashfs: "squashfs-tools",
  "mkfs.erofs": "erofs-utils",
  "fsck.erofs": "erofs-utils",
  mmdebstrap: "mmdebstrap",
  skopeo: "skopeo",
  umoci: "umoci",
  sbsign: "sbsigntool",
  sbverify: "sbsigntool",
  zstd: "zstd",
  sfdisk: "fdisk",
  mcopy: "mtools",
  mmd: "mtools",
  "mkfs.vfat": "dosfstools",
  "qemu-system-x86_64": "qemu-system-x86",
  "grub-mkimage": "grub-common",
  "grub-install": "grub2-common",
  "grub-editenv": "grub-common",
  unshare: "util-linux",
  bwrap: "bubblewrap",
  losetup: "mount",
  mount: "mount",
  umount: "mount",
  "dpkg-deb": "dpkg",
};

export interface RunOptions {
  readonly cwd?: string;
  /** Extra environment variables, merged over this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replace the environment entirely instead of merging. @default false */
  readonly replaceEnv?: boolean;
  readonly input?: string | Uint8Array;
  /** `inherit` shows the tool's output on this terminal (progress of long builds). @default "pipe" */
  readonly stdio?: "pipe" | "inherit";
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RunResult {
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Quotes an argument vector for display only (errors and logs); never handed to a shell. */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

function execaOptions(options: RunOptions) {
  return {
    cwd: options.cwd,
    env: options.env as Record<string, string> | undefined,
    extendEnv: !options.replaceEnv,
    input: options.input,
    stdio: options.stdio ?? "pipe",
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    reject: false,
    stripFinalNewline: true,
  } as const;
}

/**
 * Runs a tool with an argument array (never a shell) and returns its output. A non-zero exit becomes
 * a `ParticleError` with code `EXEC_FAILED` carrying the command, exit code and the end of stderr;
 * a missing tool becomes `TOOL_MISSING` naming the Debian package to install.
 */
export async function run(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await execa(file, args, execaOptions(options));
  return checkResult(file, args, result);
}

/** Like `run`, but returns stdout as bytes (for binary output such as a tar stream or an image). */
export async function runBinary(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Buffer> {
  const result = await execa(file, args, { ...execaOptions(options), encoding: "buffer" });
  checkResult(file, args, { ...result, stdout: undefined });
  return Buffer.from(result.stdout ?? new Uint8Array());
}

/** Runs a tool and reports whether it exited 0, without throwing on other exit codes. */
export async function succeeds(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<boolean> {
  const result = await execa(file, args, execaOptions(options));
  if (isMissingTool(result)) throw toolMissing(file, result.cause);
  return result.exitCode === 0;
}

/**
 * Starts a tool for streaming (pipe a tar into it, read an image out of it). The caller consumes
 * stdout/stdin; `await` the returned process, then pass it to `checkResult`.
 */
export function spawnTool(file: string, args: readonly string[], options: RunOptions = {}): ResultPromise {
  return execa(file, args, {
    ...execaOptions(options),
    buffer: { stdout: false, stderr: true },
    encoding: "buffer",
  });
}

interface ExecaLikeResult {
  readonly exitCode?: number;
  readonly signal?: string;
  readonly stdout?: unknown;
  readonly stderr?: unknown;
  readonly failed?: boolean;
  readonly timedOut?: boolean;
  readonly isCanceled?: boolean;
  readonly cause?: unknown;
  readonly code?: string;
}

function isMissingTool(result: ExecaLikeResult): boolean {
  const cause = result.cause as NodeJS.ErrnoException | undefined;
  return result.failed === true && result.exitCode === undefined && cause?.code === "ENOENT";
}

function toolMissing(file: string, cause: unknown): ParticleError {
  const pkg = TOOL_PACKAGES[file.split("/").pop() ?? file];
  return new ParticleError({
    code: "TOOL_MISSING",
    message: `${file} is not installed`,
    hint: pkg ? `Install it: apt-get install ${pkg}` : `Install ${file} and make sure it is on PATH.`,
    context: { tool: file },
    cause,
    exit: "unavailable",
  });
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return String(value);
}

/** Turns a finished execa result into a RunResult or the matching ParticleError. */
export function checkResult(file: string, args: readonly string[], result: ExecaLikeResult): RunResult {
  const command = displayCommand(file, args);
  if (isMissingTool(result)) throw toolMissing(file, result.cause);
  const stderr = text(result.stderr);
  if (result.exitCode === 0 && !result.failed) {
    return { command, stdout: text(result.stdout), stderr, exitCode: 0 };
  }
  const tail = stderr.trim().split("\n").slice(-20).join("\n");
  const last = tail.split("\n").pop() ?? "";
  const how = result.timedOut
    ? "timed out"
    : result.isCanceled
      ? "was cancelled"
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
  throw new ParticleError({
    code: "EXEC_FAILED",
    message: `${file} ${how}${last ? `: ${last}` : ""}`,
    context: { command, exitCode: result.exitCode, stderr: tail },
    cause: result.cause,
  });
}
