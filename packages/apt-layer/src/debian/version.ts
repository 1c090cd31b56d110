/**
 * Debian version comparison, the algorithm of dpkg's `verrevcmp` (lib/dpkg/version.c): versions are
 * `[epoch:]upstream[-revision]`; epochs compare as numbers, then upstream and revision alternate
 * non-digit runs (compared by a modified ASCII order where `~` sorts before everything, even the end
 * of the string, and letters before other characters) with digit runs (compared as numbers).
 */

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

/** Splits a version string into its parts (pure). */
export function parseDebianVersion(version: string): DebianVersion {
  const trimmed = version.trim();
  const colon = trimmed.indexOf(":");
  const epoch = colon === -1 ? 0 : Number.parseInt(trimmed.slice(0, colon), 10);
  const rest = colon === -1 ? trimmed : trimmed.slice(colon + 1);
  const dash = rest.lastIndexOf("-");
  return {
    epoch: Number.isNaN(epoch) ? 0 : epoch,
    upstream: dash === -1 ? rest : rest.slice(0, dash),
    revision: dash === -1 ? "" : rest.slice(dash + 1),
  };
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c >= "0" && c <= "9") return 0;
  if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")) return c.charCodeAt(0);
  if (c === "~") return -1;
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, equal to, or after `b` (pure). */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const upstream = verrevcmp(va.upstream, vb.upstream);
  if (upstream !== 0) return upstream;
  return verrevcmp(va.revision, vb.revision);
}
