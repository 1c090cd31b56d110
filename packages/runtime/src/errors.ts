/**
 * One error type for the whole toolkit, in the spirit of execa's errors and Astro's error catalogue:
 * a stable `code` that programs match on, a message that says what happened, a `hint` that says what
 * to do, the context it happened in, and the original error as `cause`.
 */

/** Process exit codes, stable across releases: scripts and installers branch on them. */
export const ExitCode = {
  /** Something failed that is not the user's fault (a tool crashed, an internal bug). */
  failure: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A named thing (image, tag, file, package, deployment) does not exist. */
  notFound: 3,
  /** Input was invalid: a bad config value, a malformed or hostile file. */
  invalidInput: 4,
  /** Another process holds the lock. */
  locked: 5,
  /** Stored content does not match its digest: corruption or tampering. */
  integrity: 6,
  /** The disk is full or a quota is exceeded. */
  noSpace: 7,
  /** The operation conflicts with the current state (busy mount, booted deployment, existing tag). */
  conflict: 8,
  /** A required tool or kernel feature is missing on this machine. */
  unavailable: 9,
  /** Not permitted (not root, wrong file mode). */
  permission: 10,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ParticleErrorOptions {
  /** Stable machine-readable code, SCREAMING_SNAKE_CASE, e.g. `LOCK_HELD`. */
  readonly code: string;
  readonly message: string;
  /** What the user can do about it. */
  readonly hint?: string;
  readonly context?: ErrorContext;
  readonly cause?: unknown;
  /** @default "failure" */
  readonly exit?: ExitCodeName;
}

export class ParticleError extends Error {
  override readonly name = "ParticleError";
  readonly code: string;
  readonly hint: string | undefined;
  readonly context: ErrorContext;
  readonly exitCode: number;

  constructor(options: ParticleErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
    this.context = options.context ?? {};
    this.exitCode = ExitCode[options.exit ?? "failure"];
  }

  /** A JSON-friendly view, used by `--json` error output. */
  toJSON(): { code: string; message: string; hint?: string; context: ErrorContext; causes: string[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      context: this.context,
      causes: causeChain(this).slice(1),
    };
  }
}

export function isParticleError(error: unknown, code?: string): error is ParticleError {
  return error instanceof ParticleError && (code === undefined || error.code === code);
}

/** Messages of an error and its causes, outermost first. */
export function causeChain(error: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = error;
  const seen = new Set<unknown>();
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    chain.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** Wraps a step so that any error escaping it carries a context label, like anyhow's `.context()`. */
export async function withContext<T>(
  label: string,
  step: () => Promise<T>,
  options: { code?: string; context?: ErrorContext } = {},
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ParticleError && options.code === undefined) {
      throw new ParticleError({
        code: error.code,
        message: `${label}: ${error.message}`,
        hint: error.hint,
        context: { ...error.context, ...options.context },
        cause: error.cause,
        exit: exitNameOf(error.exitCode),
      });
    }
    throw new ParticleError({
      code: options.code ?? "STEP_FAILED",
      message: `${label}: ${error instanceof Error ? error.message : String(error)}`,
      context: options.context,
      cause: error,
    });
  }
}

function exitNameOf(code: number): ExitCodeName {
  const entry = Object.entries(ExitCode).find(([, value]) => value === code);
  return (entry?.[0] as ExitCodeName | undefined) ?? "failure";
}

/** Maps a Node.js system error (ENOSPC, EACCES, ENOENT …) to a ParticleError a person can act on. */
export function fromSystemError(error: unknown, what: string, path?: string): ParticleError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const context = path === undefined ? {} : { path };
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return new ParticleError({
        code: "NO_SPACE",
        message: `${what}: no space left on device`,
        hint: "Free space (for example with `gc`) or point the path to a larger filesystem, then retry.",
        context,
        cause: error,
        exit: "noSpace",
      });
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new ParticleError({
        code: "PERMISSION_DENIED",
        message: `${what}: permission denied${code === "EROFS" ? " (read-only filesystem)" : ""}`,
        hint: "Run as root, or choose a writable path.",
        context,
        cause: error,
        exit: "permission",
      });
    case "ENOENT":
      return new ParticleError({
        code: "NOT_FOUND",
        message: `${what}: no such file or directory`,
        context,
        cause: error,
        exit: "notFound",
      });
    default:
      return new ParticleError({
        code: "IO_FAILED",
        message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
        context,
        cause: error,
      });
  }
}
