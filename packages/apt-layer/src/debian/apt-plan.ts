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
