import { promises as fs } from "node:fs";
import path from "node:path";
import { pathExists, run, sha256Hex, unmountAll, withLock } from "@particle/runtime";

/** Cached across runs (and CI steps) by the inputs that define the tree. */
export const CACHE_ROOT = process.env.PARTICLE_TEST_CACHE ?? "/var/cache/particle-tests";

export const DEBIAN_MIRROR = process.env.PARTICLE_TEST_MIRROR ?? "http://deb.debian.org/debian";

/** The release of integration tests' rootfs unless a test names one: Debian 13, today's stable. */
export const DEFAULT_TEST_SUITE = "trixie";

export interface RootfsSpec {
  /** Debian release; each has its own cache entries. @default DEFAULT_TEST_SUITE */
  readonly suite?: string;
  /** @default "minbase" */
  readonly variant?: "minbase" | "apt" | "essential";
  readonly include?: readonly string[];
}

/** A fixed timestamp so that the same inputs give the same tree. */
const SOURCE_DATE_EPOCH = "1700000000";

/**
 * A real Debian root filesystem made with mmdebstrap, built once per distinct spec and shared by
 * every test that asks for it. Treat it as read-only: stack an overlay or copy it to change it.
 */
export async function debianRootfs(spec: RootfsSpec = {}): Promise<string> {
  const suite = spec.suite ?? DEFAULT_TEST_SUITE;
  const variant = spec.variant ?? "minbase";
  const include = [...(spec.include ?? [])].sort();
  const key = sha256Hex(JSON.stringify({ v: 1, suite, variant, include, mirror: DEBIAN_MIRROR })).slice(
    0,
    16,
  );
  const dir = path.join(CACHE_ROOT, `rootfs-${suite}-${variant}-${key}`);
  if (await pathExists(path.join(dir, "etc/os-release"))) return dir;
  await fs.mkdir(CACHE_ROOT, { recursive: true });
  return withLock(
    `${dir}.lock`,
    { purpose: `the test rootfs cache ${dir}`, timeoutMs: 30 * 60_000 },
    async () => {
      if (await pathExists(path.join(dir, "etc/os-release"))) return dir;
      const temp = `${dir}.partial`;
      // An mmdebstrap killed with its test (a timeout) leaves /proc, /sys and /dev mounted in its tree.
      await unmountAll(temp, { lazy: true });
      await fs.rm(temp, { recursive: true, force: true });
      const args = [`--variant=${variant}`, "--quiet"];
      if (include.length > 0) args.push(`--include=${include.join(",")}`);
      args.push(suite, temp, DEBIAN_MIRROR);
      await run("mmdebstrap", args, { env: { SOURCE_DATE_EPOCH } });
      await fs.rename(temp, dir);
      return dir;
    },
  );
}
