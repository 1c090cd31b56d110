import { BootcErrors } from "../errors.js";

/** Kernel arguments the boot script and the deployment logic own; users cannot edit them. */
const MANAGED = ["particle.deployment"];

export interface KargsEdit {
  /** NAME or NAME=VALUE, added unless already present exactly. */
  readonly append?: readonly string[];
  /** NAME (every value) or NAME=VALUE (that one). */
  readonly delete?: readonly string[];
  /** NAME=VALUE replaces every NAME; NAME=OLD=NEW replaces that one value (when NAME=OLD is set). */
  readonly replace?: readonly string[];
}

const keyOf = (arg: string) => {
  const eq = arg.indexOf("=");
  return eq === -1 ? arg : arg.slice(0, eq);
};

function check(arg: string): void {
  if (arg === "" || /[\s"'\\]/.test(arg))
    throw BootcErrors.kargInvalid(arg, "is empty or has spaces, quotes or backslashes");
  if (MANAGED.includes(keyOf(arg))) throw BootcErrors.kargInvalid(arg, "is managed by particle-bootc");
}

/** Splits a kernel command line into arguments (pure; quoting is not supported, see `check`). */
export function parseKargs(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** Applies --delete, then --replace, then --append (pure). Throws for unknown deletes and bad input. */
export function editKargs(current: readonly string[], edit: KargsEdit): string[] {
  let args = [...current];
  for (const arg of edit.delete ?? []) {
    check(arg);
    const matches = (a: string) => (arg.includes("=") ? a === arg : keyOf(a) === arg);
    if (!args.some(matches)) throw BootcErrors.kargMissing(arg);
    args = args.filter((a) => !matches(a));
  }
  for (const arg of edit.replace ?? []) {
    check(arg);
    const parts = arg.split("=");
    if (parts.length < 2) throw BootcErrors.kargInvalid(arg, "needs NAME=VALUE or NAME=OLD=NEW");
    const key = parts[0] as string;
    const old = `${key}=${parts[1]}`;
    // NAME=OLD=NEW when NAME=OLD is set; otherwise the value may itself hold '=' (root=UUID=…).
    if (parts.length >= 3 && args.includes(old)) {
      const next = `${key}=${parts.slice(2).join("=")}`;
      args = args.map((a) => (a === old ? next : a));
    } else {
      const index = args.findIndex((a) => keyOf(a) === key);
      if (index === -1) throw BootcErrors.kargMissing(key);
      args = args.filter((a, i) => i === index || keyOf(a) !== key).map((a, i) => (i === index ? arg : a));
    }
  }
  for (const arg of edit.append ?? []) {
    check(arg);
    if (!args.includes(arg)) args.push(arg);
  }
  return args;
}

/** The complete kernel command line of a deployment (pure). */
export function commandLine(deployment: string, kargs: readonly string[]): string {
  return [...kargs, `particle.deployment=${deployment}`].join(" ");
}

/** The deployment named by `particle.deployment=` in a kernel command line, if any (pure). */
export function bootedDeployment(cmdline: string): string | undefined {
  let found: string | undefined;
  for (const arg of parseKargs(cmdline)) if (arg.startsWith("particle.deployment=")) found = arg.slice(20);
  return found;
}
