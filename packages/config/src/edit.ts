import { promises as fs } from "node:fs";
import { readFileIfExists, writeFileAtomic } from "@particle/runtime";
import { coerceValue, parseKey } from "./keys.js";
import { parseConfigText, validateLayer } from "./load.js";
import { setTomlValue, unsetTomlValue } from "./toml-edit.js";

async function modeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).mode & 0o7777;
  } catch {
    return 0o644;
  }
}

/**
 * Sets `key` (`section.key`) to `text` in a config file. The value is validated first and the whole
 * edited file after; the file is replaced atomically, or left untouched when anything is invalid.
 */
export async function writeConfigValue(file: string, keyText: string, text: string): Promise<unknown> {
  const key = parseKey(keyText);
  const value = coerceValue(key, text);
  validateLayer({ [key.section]: { [key.key]: value } }, `${keyText} = ${JSON.stringify(text)}`);
  const before = (await readFileIfExists(file)) ?? "";
  const after = setTomlValue(before, key, value, file);
  parseConfigText(after, file);
  await writeFileAtomic(file, after, { mode: await modeOf(file) });
  return value;
}

/** Removes `key` from a config file (atomically); returns whether it was there. */
export async function removeConfigValue(file: string, keyText: string): Promise<boolean> {
  const key = parseKey(keyText);
  const before = await readFileIfExists(file);
  if (before === undefined) return false;
  const after = unsetTomlValue(before, key, file);
  if (after === before) return false;
  await writeFileAtomic(file, after, { mode: await modeOf(file) });
  return true;
}
