import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import pino, { type Level, type Logger } from "pino";

export type { Logger } from "pino";
export type LogLevel = Level | "silent";
export type StderrFormat = "auto" | "human" | "json" | "journal" | "none";

export interface LoggerOptions {
  /** Component name written with every line (`composefs`, `bootc` …). */
  readonly name: string;
  /** @default "info" */
  readonly level?: LogLevel;
  /** JSON-lines log file; omitted or unwritable, no file is written. */
  readonly file?: string;
  /** @default "auto" */
  readonly stderr?: StderrFormat;
  /** Level for stderr when it is quieter than the file's (`--json` keeps stderr to warnings). */
  readonly stderrLevel?: LogLevel;
  /** @default process.stderr */
  readonly stderrStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};
// sd-daemon(3) priority prefixes: journald reads them from a service's stderr.
const JOURNAL_PRIORITY: Readonly<Record<number, number>> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };
const OMIT = new Set(["level", "time", "pid", "hostname", "msg", "name", "v"]);

/** Formats one pino JSON line for a person or for journald (pure). */
export function formatLogLine(json: string, format: "human" | "journal", color = false): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const level = Number(record.level);
  const fields = Object.entries(record)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const msg = `${String(record.msg ?? "")}${fields ? ` ${fields}` : ""}`;
  if (format === "journal") return `<${JOURNAL_PRIORITY[level] ?? 6}>${msg}\n`;
  const name = LEVEL_NAMES[level] ?? String(level);
  const tag = color ? `\x1b[${level >= 50 ? 31 : level >= 40 ? 33 : 2}m${name}\x1b[0m` : name;
  return `${tag}: ${msg}\n`;
}

export function resolveStderrFormat(
  format: StderrFormat,
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): Exclude<StderrFormat, "auto"> {
  if (format !== "auto") return format;
  if (stream.isTTY) return "human";
  return env.JOURNAL_STREAM ? "journal" : "human";
}

function canWrite(file: string): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    closeSync(openSync(file, "a"));
    return true;
  } catch {
    return false;
  }
}

/** A pino logger writing JSON lines to the log file and readable (or journal) lines to stderr. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const stderr = options.stderrStream ?? process.stderr;
  const format = resolveStderrFormat(options.stderr ?? "auto", stderr, options.env ?? process.env);
  const streams: pino.StreamEntry[] = [];
  if (options.file && canWrite(options.file)) {
    streams.push({
      level: level === "silent" ? "fatal" : level,
      stream: pino.destination({ dest: options.file, append: true, sync: true }),
    });
  }
  const stderrLevel = options.stderrLevel ?? level;
  if (format !== "none" && stderrLevel !== "silent") {
    const color = format === "human" && Boolean(stderr.isTTY);
    const stream =
      format === "json"
        ? stderr
        : { write: (line: string) => stderr.write(formatLogLine(line, format, color)) };
    streams.push({ level: stderrLevel, stream });
  }
  const minimum = streams.length === 0 || level === "silent" ? "silent" : lowest([level, stderrLevel]);
  return pino({ name: options.name, level: minimum, base: { pid: process.pid } }, pino.multistream(streams));
}

function lowest(levels: LogLevel[]): LogLevel {
  const order: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  return levels.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
}
