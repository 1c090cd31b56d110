import path from "node:path";
import { readFileIfExists } from "@particle/runtime";
import { LABELS } from "../spec.js";

/** Parses os-release(5) text into its fields, unquoting values (pure). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2] as string;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["'$`\\])/g, "$1");
    fields[m[1] as string] = value;
  }
  return fields;
}

/** The os-release of a root filesystem (`/etc/os-release`, else `/usr/lib/os-release`). */
export async function loadOsRelease(root: string): Promise<Record<string, string>> {
  const text =
    (await readFileIfExists(path.join(root, "etc/os-release"))) ??
    (await readFileIfExists(path.join(root, "usr/lib/os-release"))) ??
    "";
  return parseOsRelease(text);
}

/** The image labels apt-layer derives from an os-release: the distribution ID and the release's codename. */
export function osLabels(osRelease: Readonly<Record<string, string>>): Record<string, string> {
  return {
    [LABELS.os]: osRelease.ID ?? "debian",
    ...(osRelease.VERSION_CODENAME ? { [LABELS.suite]: osRelease.VERSION_CODENAME } : {}),
  };
}
