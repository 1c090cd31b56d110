/** What `apt-get -s` says it would do, parsed (pure). */

export interface PlanAction {
  readonly action: "install" | "configure" | "remove" | "purge";
  readonly name: string;
  /** Version being installed (install, configure). */
  readonly version?: string;
  /** Installed version being replaced or removed. */
  readonly previous?: string;
  readonly architecture?: string;
}

const LINE = /^(Inst|Conf|Remv|Purg) (\S+)(?: \[([^\]]+)\])?(?: \((\S+) [^[]*\[([^\]]+)\]\))?/;
const ACTIONS = { Inst: "install", Conf: "configure", Remv: "remove", Purg: "purge" } as const;

export function parseAptSimulation(stdout: string): PlanAction[] {
  const actions: PlanAction[] = [];
  for (const line of stdout.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    actions.push({
      action: ACTIONS[m[1] as keyof typeof ACTIONS],
      // Foreign-architecture packages are printed as `name:arch`; the architecture is in the brackets too.
      name: (m[2] as string).split(":")[0] as string,
      ...(m[4] ? { version: m[4] } : {}),
      ...(m[3] ? { previous: m[3] } : {}),
      ...(m[5] ? { architecture: m[5] } : {}),
    });
  }
  return actions;
}

const MISSING = [
  /^E: Unable to locate package (\S+)/,
  /^E: Package '([^']+)' has no installation candidate/,
  /^E: Version '[^']+' for '([^']+)' was not found/,
  /^E: Couldn't find any package by (?:glob|regex) '([^']+)'/,
];

/** Package names apt reports as unavailable, in the order it reports them. */
export function missingPackages(stderr: string): string[] {
  const names: string[] = [];
  for (const line of stderr.split("\n")) {
    for (const pattern of MISSING) {
      const m = pattern.exec(line.trim());
      if (m?.[1] && !names.includes(m[1])) names.push(m[1]);
    }
  }
  return names;
}

/** `name:arch` for an arch-specific install or configure, else the bare name (what dpkg accepts). */
export function planKey(a: PlanAction): string {
  const qualified =
    a.architecture && a.architecture !== "all" && (a.action === "install" || a.action === "configure");
  return qualified ? `${a.name}:${a.architecture}` : a.name;
}

/**
 * Groups a simulated plan into the dpkg calls that carry it out in apt's order: consecutive installs
 * become one `dpkg --unpack`, consecutive configures one `dpkg --configure`, removals one `--remove`
 * or `--purge`. Following apt's order keeps Pre-Depends satisfied.
 */
export function groupPlan(
  actions: readonly PlanAction[],
): { action: PlanAction["action"]; names: string[] }[] {
  const groups: { action: PlanAction["action"]; names: string[] }[] = [];
  for (const a of actions) {
    const last = groups[groups.length - 1];
    const name = planKey(a);
    if (last && last.action === a.action) last.names.push(name);
    else groups.push({ action: a.action, names: [name] });
  }
  return groups;
}
