import { ParticleError } from "@particle/runtime";
import { DEFAULT_SETTINGS, type SectionName, type Settings, sections } from "./spec.js";

/** A setting's address: `section.key`. */
export interface KeyPath {
  readonly section: SectionName;
  readonly key: string;
}

export function allKeys(): KeyPath[] {
  return Object.entries(sections).flatMap(([section, schema]) =>
    Object.keys(schema.shape).map((key) => ({ section: section as SectionName, key })),
  );
}

export function parseKey(text: string): KeyPath {
  const [section, key, ...rest] = text.split(".");
  const known = allKeys().find((k) => k.section === section && k.key === key);
  if (!known || rest.length > 0) {
    throw new ParticleError({
      code: "CONFIG_UNKNOWN_KEY",
      message: `unknown setting "${text}"`,
      hint: `Known settings: ${allKeys()
        .map((k) => `${k.section}.${k.key}`)
        .join(", ")}`,
      exit: "usage",
    });
  }
  return known;
}

export function envName(key: KeyPath): string {
  return `PARTICLE_${key.section}_${key.key}`.toUpperCase();
}

export function getSetting(settings: Settings, key: KeyPath): unknown {
  return (settings[key.section] as Record<string, unknown>)[key.key];
}

/**
 * Turns text (an environment variable, a `config set` argument) into the type the setting has:
 * numbers, booleans, comma-separated lists; strings stay strings. The schema validates afterwards.
 */
export function coerceValue(key: KeyPath, text: string): unknown {
  const example = getSetting(DEFAULT_SETTINGS, key);
  if (Array.isArray(example)) return text === "" ? [] : text.split(",").map((s) => s.trim());
  if (typeof example === "number" && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (typeof example === "boolean" && /^(true|false)$/.test(text)) return text === "true";
  return text;
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

/** Parses `10MiB`, `512K`, `1.5G` or a plain number into bytes (binary units). */
export function parseSize(value: string | number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value.trim());
  if (!match) {
    throw new ParticleError({
      code: "CONFIG_INVALID",
      message: `"${value}" is not a size`,
      hint: "Use a size like 10MiB.",
      exit: "invalidInput",
    });
  }
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? "").toUpperCase()] ?? 1));
}
