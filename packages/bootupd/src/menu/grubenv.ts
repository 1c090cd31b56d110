import { errors } from "../errors.js";

/**
 * GRUB's environment block (`grubenv`): exactly 1024 bytes, a header line, `name=value` lines, and
 * '#' padding. GRUB's `save_env` rewrites the file's blocks in place, so the size must not change.
 */

const HEADER = "# GRUB Environment Block\n";
export const GRUBENV_SIZE = 1024;

/** Parses a grubenv's variables (pure). Backslash escapes are those of grub-editenv. */
export function parseGrubEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.includes("=")) continue;
    const eq = line.indexOf("=");
    vars[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return vars;
}

/** Renders a grubenv of exactly 1024 bytes (pure); throws when the variables do not fit. */
export function formatGrubEnv(vars: Readonly<Record<string, string>>): string {
  let body = HEADER;
  for (const [name, value] of Object.entries(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw errors.grubEnvInvalid(name);
    body += `${name}=${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`;
  }
  if (Buffer.byteLength(body) > GRUBENV_SIZE) throw errors.grubEnvFull(Buffer.byteLength(body));
  return body + "#".repeat(GRUBENV_SIZE - Buffer.byteLength(body));
}
