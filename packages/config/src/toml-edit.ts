import { ParticleError } from "@particle/runtime";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import type { KeyPath } from "./keys.js";

/**
 * Edits one `key = value` of a TOML file in place, keeping every other line (comments, order,
 * blank lines) as it was. Handles the canonical layout (`[section]` tables with bare keys); any other
 * layout that defines the key is refused rather than rewritten.
 */

const HEADER = /^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$/;

function keyLine(key: string): RegExp {
  return new RegExp(`^\\s*(${key}|"${key}"|'${key}')\\s*=`);
}

/** Formats a value as a TOML literal. */
export function tomlLiteral(value: unknown): string {
  const doc = stringifyToml({ v: value });
  return doc.slice(doc.indexOf("=") + 1).trim();
}

interface Located {
  /** Index of the section header line, or -1. */
  readonly header: number;
  /** First and last line (inclusive) of the key's definition, if present. */
  readonly start?: number;
  readonly end?: number;
  /** Where the section's content ends (exclusive): the next header or the end of the file. */
  readonly sectionEnd: number;
}

function parses(text: string): boolean {
  try {
    parseToml(text);
    return true;
  } catch {
    return false;
  }
}

function locate(lines: readonly string[], { section, key }: KeyPath): Located {
  let header = -1;
  for (let i = 0; i < lines.length; i++) {
    const match = HEADER.exec(lines[i] ?? "");
    if (match?.[1] === section) {
      header = i;
      break;
    }
  }
  if (header === -1) return { header, sectionEnd: lines.length };
  let sectionEnd = lines.length;
  for (let i = header + 1; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i] ?? "")) {
      sectionEnd = i;
      break;
    }
  }
  const pattern = keyLine(key);
  for (let i = header + 1; i < sectionEnd; i++) {
    if (!pattern.test(lines[i] ?? "")) continue;
    // A value may span lines (arrays, multi-line strings): extend until the definition parses.
    for (let end = i; end < sectionEnd; end++) {
      if (parses(lines.slice(i, end + 1).join("\n"))) return { header, start: i, end, sectionEnd };
    }
    return { header, start: i, end: i, sectionEnd };
  }
  return { header, sectionEnd };
}

function getPath(doc: Record<string, unknown>, { section, key }: KeyPath): unknown {
  return (doc[section] as Record<string, unknown> | undefined)?.[key];
}

/** Checks that the edit changed exactly the one key, as intended. */
function verifyEdit(before: string, after: string, key: KeyPath, value: unknown, file: string): string {
  let expected: Record<string, unknown>;
  try {
    expected = parseToml(before) as Record<string, unknown>;
  } catch (error) {
    throw new ParticleError({
      code: "CONFIG_SYNTAX",
      message: `${file} is not valid TOML; fix it before editing it with \`particle config\``,
      cause: error,
      exit: "invalidInput",
    });
  }
  const unsupported = () =>
    new ParticleError({
      code: "CONFIG_EDIT_UNSUPPORTED",
      message: `${file} defines ${key.section}.${key.key} in a layout that cannot be edited in place`,
      hint: `Edit the file by hand: put the key under a [${key.section}] table.`,
      context: { path: file },
      exit: "conflict",
    });
  let actual: Record<string, unknown>;
  try {
    actual = parseToml(after) as Record<string, unknown>;
  } catch {
    throw unsupported();
  }
  const section = { ...((expected[key.section] as Record<string, unknown> | undefined) ?? {}) };
  if (value === undefined) delete section[key.key];
  else section[key.key] = value;
  expected[key.section] = section;
  if (Object.keys(section).length === 0 && !(key.section in actual)) delete expected[key.section];
  if (JSON.stringify(canonical(expected)) !== JSON.stringify(canonical(actual))) throw unsupported();
  return after;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Returns `text` with `section.key` set to `value` (pure). */
export function setTomlValue(text: string, key: KeyPath, value: unknown, file = "config file"): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const found = locate(lines, key);
  const line = `${key.key} = ${tomlLiteral(value)}`;
  if (found.start !== undefined && found.end !== undefined) {
    const comment = /\s+(#[^"']*)$/.exec(lines[found.end] ?? "")?.[1];
    lines.splice(found.start, found.end - found.start + 1, comment ? `${line} ${comment}` : line);
  } else if (found.header !== -1) {
    // Append after the section's last non-blank line.
    let at = found.sectionEnd;
    while (at > found.header + 1 && (lines[at - 1] ?? "").trim() === "") at--;
    lines.splice(at, 0, line);
  } else {
    if (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() !== "") lines.push("");
    lines.push(`[${key.section}]`, line);
  }
  const after = `${lines.join("\n")}\n`;
  return verifyEdit(text, after, key, value, file);
}

/** Returns `text` without `section.key` (pure). An absent key leaves the text unchanged. */
export function unsetTomlValue(text: string, key: KeyPath, file = "config file"): string {
  const lines = text.replace(/\n$/, "").split("\n");
  const found = locate(lines, key);
  if (found.start === undefined || found.end === undefined) {
    if (text.trim() !== "" && getPath(parseToml(text) as Record<string, unknown>, key) !== undefined) {
      return verifyEdit(text, text, key, undefined, file);
    }
    return text;
  }
  lines.splice(found.start, found.end - found.start + 1);
  return verifyEdit(text, `${lines.join("\n")}\n`, key, undefined, file);
}
