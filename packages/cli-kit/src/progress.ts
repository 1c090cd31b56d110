import { formatBytes } from "./output.js";

export interface ProgressOptions {
  readonly label: string;
  /** Total amount, when known (bytes or items). */
  readonly total?: number;
  /** @default "items" */
  readonly unit?: "bytes" | "items";
}

export interface Progress {
  /** Sets the amount done so far. */
  update(done: number, detail?: string): void;
  /** Ends the bar with a final line. */
  done(message?: string): void;
}

const silent: Progress = { update() {}, done() {} };

/**
 * A progress line on a terminal's stderr, redrawn at most ten times a second. Off the terminal and
 * with --json it draws nothing (logs carry the start and end), so output stays parseable.
 */
export function createProgress(
  options: ProgressOptions,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!enabled || !stream.isTTY) return silent;
  const fmt = (n: number) => (options.unit === "bytes" ? formatBytes(n) : String(n));
  let last = 0;
  let lastDone = 0;
  let lastDetail = "";
  const draw = () => {
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
    let body: string;
    if (options.total && options.total > 0) {
      const ratio = Math.min(1, lastDone / options.total);
      const filled = Math.round(ratio * width);
      body = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${fmt(lastDone)}/${fmt(options.total)}`;
    } else {
      body = fmt(lastDone);
    }
    const line = `${options.label} ${body}${lastDetail ? ` ${lastDetail}` : ""}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 80) - 1)}`);
  };
  return {
    update(done, detail) {
      lastDone = done;
      lastDetail = detail ?? lastDetail;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    done(message) {
      stream.write(`\r\x1b[2K${message ? `${message}\n` : ""}`);
    },
  };
}
