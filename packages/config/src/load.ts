import { promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError, ParticleError } from "@particle/runtime";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { allKeys, coerceValue, envName, parseKey } from "./keys.js";
import { DEFAULT_SETTINGS, Settings, SettingsLayer } from "./spec.js";

/** Where a layer of settings came from, for error messages and `config show --origin`. */
export interface SettingsSource {
  readonly kind: "default" | "file" | "env" | "override";
  readonly name: string;
  readonly layer: SettingsLayer;
}

export interface LoadOptions {
  /**
   * Directory holding `config.toml` and `config.d/`.
   * @default process.env.PARTICLE_CONFIG_ROOT ?? "/etc/particle"
   */
  readonly configRoot?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `section.key` → text, from the command line (`--set KEY=VALUE`). Highest precedence. */
  readonly overrides?: Readonly<Record<string, string>>;
}

export interface LoadedSettings {
  readonly settings: Settings;
  readonly sources: readonly SettingsSource[];
}

export function defaultConfigRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.PARTICLE_CONFIG_ROOT ?? "/etc/particle";
}

function describeIssues(error: z.ZodError, where: string): ParticleError {
  const lines = error.issues.map((issue) => {
    const key = issue.path.join(".") || "(top level)";
    const keys = "keys" in issue ? ` ${(issue.keys as string[]).join(", ")}` : "";
    return `${key}:${keys} ${issue.message}`;
  });
  return new ParticleError({
    code: "CONFIG_INVALID",
    message: `${where}: ${lines.join("; ")}`,
    hint: "Fix the value; `particle config validate` checks a file, and the JSON Schema in @particle/config lists every key.",
    context: { source: where },
    exit: "invalidInput",
  });
}

/** Validates one layer (pure): a parsed file, or values from the environment. */
export function validateLayer(value: unknown, where: string): SettingsLayer {
  const parsed = SettingsLayer.safeParse(value);
  if (!parsed.success) throw describeIssues(parsed.error, where);
  return parsed.data;
}

/** Parses and validates the text of a config file (pure). */
export function parseConfigText(text: string, where: string): SettingsLayer {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (error) {
    // Position and a reason only, never a line of the file: the path may lead (through a symlink)
    // to a file that is not a config file at all, and its content is not ours to print.
    const reason =
      error instanceof TomlError
        ? error.message.split("\n")[0]?.replace(/^Invalid TOML document:\s*/, "")
        : "";
    const detail =
      error instanceof TomlError
        ? `line ${error.line}, column ${error.column}${reason && !/['"`]/.test(reason) ? `: ${reason}` : ""}`
        : "unreadable";
    throw new ParticleError({
      code: "CONFIG_SYNTAX",
      message: `${where}: not valid TOML (${detail})`,
      hint: "Fix the syntax; see https://toml.io.",
      context: { source: where },
      exit: "invalidInput",
    });
  }
  return validateLayer(value, where);
}

/** Settings from `PARTICLE_<SECTION>_<KEY>` variables (pure). */
export function layerFromEnv(env: Readonly<Record<string, string | undefined>>): SettingsSource[] {
  const sources: SettingsSource[] = [];
  for (const key of allKeys()) {
    const name = envName(key);
    const text = env[name];
    if (text === undefined) continue;
    const layer = validateLayer(
      { [key.section]: { [key.key]: coerceValue(key, text) } },
      `environment variable ${name}`,
    );
    sources.push({ kind: "env", name, layer });
  }
  return sources;
}

/** Settings from `--set section.key=value` (pure). */
export function layerFromOverrides(overrides: Readonly<Record<string, string>>): SettingsSource[] {
  return Object.entries(overrides).map(([text, value]) => {
    const key = parseKey(text);
    const layer = validateLayer({ [key.section]: { [key.key]: coerceValue(key, value) } }, `--set ${text}`);
    return { kind: "override", name: text, layer };
  });
}

/** Later layers win, key by key (pure). */
export function mergeLayers(layers: readonly SettingsLayer[]): Settings {
  const merged: Record<string, Record<string, unknown>> = structuredClone(DEFAULT_SETTINGS);
  for (const layer of layers) {
    for (const [section, values] of Object.entries(layer)) {
      for (const [key, value] of Object.entries(values ?? {})) {
        if (value !== undefined) (merged[section] as Record<string, unknown>)[key] = value;
      }
    }
  }
  return Settings.parse(merged);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromSystemError(error, `reading ${file}`, file);
  }
}

/** The config files in precedence order: `config.toml`, then `config.d/*.toml` sorted by name. */
export async function configFiles(configRoot: string): Promise<string[]> {
  const files = [path.join(configRoot, "config.toml")];
  const dropins = path.join(configRoot, "config.d");
  try {
    const names = (await fs.readdir(dropins)).filter((n) => n.endsWith(".toml")).sort();
    files.push(...names.map((n) => path.join(dropins, n)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw fromSystemError(error, `reading ${dropins}`, dropins);
  }
  return files;
}

/** Loads settings: defaults, config.toml, drop-ins, environment, command-line overrides. */
export async function loadSettings(options: LoadOptions = {}): Promise<LoadedSettings> {
  const env = options.env ?? process.env;
  const sources: SettingsSource[] = [{ kind: "default", name: "built-in defaults", layer: DEFAULT_SETTINGS }];
  for (const file of await configFiles(options.configRoot ?? defaultConfigRoot(env))) {
    const text = await readIfExists(file);
    if (text !== undefined) sources.push({ kind: "file", name: file, layer: parseConfigText(text, file) });
  }
  sources.push(...layerFromEnv(env), ...layerFromOverrides(options.overrides ?? {}));
  return { settings: mergeLayers(sources.map((s) => s.layer)), sources };
}
