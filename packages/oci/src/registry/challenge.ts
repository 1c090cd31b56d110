/** Parses a WWW-Authenticate header into its scheme and parameters (RFC 7235; pure). */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?/g;
  for (let m = re.exec(match[2] ?? ""); m !== null; m = re.exec(match[2] ?? "")) {
    params[(m[1] as string).toLowerCase()] =
      m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] as string);
  }
  return { scheme: (match[1] as string).toLowerCase(), params };
}
