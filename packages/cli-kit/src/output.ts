import { API_VERSION } from "@particle/runtime";
/**
 * What a command prints. With `--json`, stdout carries exactly one JSON document per command, with
 * `apiVersion` and `kind` so that scripts can rely on its shape; human text goes nowhere. Without it,
 * text goes to stdout and the JSON document is not printed.
 */

export interface Output {
  readonly json: boolean;
  /** A line for a person (suppressed with --json). */
  text(line: string): void;
  /** The command's result: a document for --json, and a rendering of it for a person. */
  result<T extends object>(kind: string, document: T, render?: (document: T) => string | undefined): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout): Output {
  return {
    json,
    text(line) {
      if (!json) stdout.write(`${line}\n`);
    },
    result(kind, document, render) {
      if (json) {
        stdout.write(`${JSON.stringify({ apiVersion: API_VERSION, kind, ...document }, null, 2)}\n`);
        return;
      }
      const text = render?.(document);
      if (text !== undefined && text !== "") stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    },
  };
}

/** Formats rows as aligned columns (pure). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** 1536 → "1.5 KiB" (pure). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
