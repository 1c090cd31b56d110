import { promises as fs } from "node:fs";
import path from "node:path";
import { ifExists, pathExists, readFileIfExists } from "@particle/runtime";
import { findKernels } from "./boot/kernel.js";
import { STATE_DIRS, stateDirKind } from "./deploy/state-dirs.js";
import { BootcErrors } from "./errors.js";
import type { DeployStore } from "./sysroot/store.js";

/**
 * `container lint`: one table of named checks on an image tree, as bootc's lints. Fatal checks make
 * an image unbootable or lose what it ships (software hidden by a state directory); warnings flag
 * what would surprise a user (image content in /var that later images cannot change).
 */
export interface Lint {
  readonly id: string;
  readonly level: "fatal" | "warning";
  readonly description: string;
  /** Returns problems found (empty = passed). */
  check(root: string): Promise<string[]>;
}

/** Paths under /var that an image may carry: the package database (bound from the image at boot) and empty skeletons. */
const VAR_ALLOWED = [
  "var/lib/dpkg",
  "var/lib/apt",
  "var/cache",
  "var/log",
  "var/lib/systemd/deb-systemd-helper-enabled",
  "var/lib/particle",
];

/** A symlink's target; undefined when the path is missing or not a symlink. */
async function linkTarget(p: string): Promise<string | undefined> {
  const st = await ifExists(fs.lstat(p));
  return st?.isSymbolicLink() ? fs.readlink(p) : undefined;
}

async function listFiles(dir: string, rel: string, out: string[], limit: number): Promise<void> {
  if (out.length >= limit) return;
  for (const name of ((await ifExists(fs.readdir(path.join(dir, rel)))) ?? []).sort()) {
    const child = `${rel}/${name}`;
    if (VAR_ALLOWED.some((a) => child === a || child.startsWith(`${a}/`))) continue;
    const st = await fs.lstat(path.join(dir, child));
    if (st.isDirectory()) await listFiles(dir, child, out, limit);
    else out.push(`/${child}`);
    if (out.length >= limit) return;
  }
}

/** Files (not directories, not symlinks such as Debian's /usr/local/man) below `rel`, up to `limit`. */
async function listContent(root: string, rel: string, out: string[], limit: number): Promise<void> {
  for (const name of ((await ifExists(fs.readdir(path.join(root, rel)))) ?? []).sort()) {
    if (out.length >= limit) return;
    const child = `${rel}/${name}`;
    const st = await fs.lstat(path.join(root, child));
    if (st.isDirectory()) await listContent(root, child, out, limit);
    else if (!st.isSymbolicLink()) out.push(`/${child}`);
  }
}

export const LINTS: readonly Lint[] = [
  {
    id: "kernel",
    level: "fatal",
    description:
      "A kernel and its initramfs are in /usr/lib/modules/VERSION/{vmlinuz,initramfs.img} or /boot/{vmlinuz,initrd.img}-VERSION.",
    async check(root) {
      return (await findKernels(root)).length > 0 ? [] : ["no kernel with an initramfs"];
    },
  },
  {
    id: "systemd",
    level: "fatal",
    description: "systemd is the init: /sbin/init leads to systemd (install systemd-sysv).",
    async check(root) {
      const problems: string[] = [];
      if (!(await pathExists(path.join(root, "usr/lib/systemd/systemd"))))
        problems.push("/usr/lib/systemd/systemd is missing");
      const init = await linkTarget(path.join(root, "sbin/init"));
      if (init === undefined && !(await pathExists(path.join(root, "usr/sbin/init"))))
        problems.push("/sbin/init is missing");
      else if (init !== undefined && !init.endsWith("systemd"))
        problems.push(`/sbin/init points to ${init}, not systemd`);
      return problems;
    },
  },
  {
    id: "boot-integration",
    level: "fatal",
    description: "The Particle initramfs hook and boot script are installed (the particle-os package).",
    async check(root) {
      const files = [
        "usr/share/initramfs-tools/hooks/particle",
        "usr/share/initramfs-tools/scripts/local-bottom/particle",
      ];
      const missing: string[] = [];
      for (const file of files)
        if (!(await pathExists(path.join(root, file)))) missing.push(`/${file} is missing`);
      return missing;
    },
  },
  {
    id: "var-content",
    level: "warning",
    description:
      "Nothing in /var besides the package database and empty directories: /var is shared and only seeded on the first deployment, so later images' /var content is never seen.",
    async check(root) {
      const files: string[] = [];
      await listFiles(root, "var", files, 20);
      return files.map((f) => `${f} would be ignored after the first deployment`);
    },
  },
  {
    id: "state-directories",
    level: "fatal",
    description:
      "/home, /root, /opt, /srv, /usr/local and /mnt are directories (bound from /var/home, /var/roothome, /var/opt, /var/srv, /var/usrlocal, /var/mnt at boot) or symlinks there; /opt, /srv, /usr/local and /mnt hold no files, which their /var copy would freeze at the first deployment's version.",
    async check(root) {
      const problems: string[] = [];
      for (const dir of STATE_DIRS) {
        const kind = await stateDirKind(root, dir);
        if (kind === "unhandled")
          problems.push(`/${dir.path} is neither a directory nor a symlink to /var/${dir.state}`);
        if (kind !== "bound" || !dir.packaged) continue;
        const files: string[] = [];
        await listContent(root, dir.path, files, 5);
        for (const file of files)
          problems.push(
            `${file} is covered at run time by /var/${dir.state}, which keeps the first deployment's copy (ship it in /usr/lib or /usr/share)`,
          );
      }
      return problems;
    },
  },
  {
    id: "fstab-root",
    level: "warning",
    description: "/etc/fstab does not mount / or /etc (the boot script does).",
    async check(root) {
      const text = (await readFileIfExists(path.join(root, "etc/fstab"))) ?? "";
      return text
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[0] && !f[0].startsWith("#") && (f[1] === "/" || f[1] === "/etc" || f[1] === "/var"))
        .map((f) => `/etc/fstab mounts ${f[1]}`);
    },
  },
  {
    id: "sysroot-dir",
    level: "warning",
    description:
      "/sysroot exists, so the physical root (deployments, store) is reachable from the booted system.",
    async check(root) {
      return (await pathExists(path.join(root, "sysroot")))
        ? []
        : ["/sysroot is missing; the physical root stays at /run/particle/sysroot"];
    },
  },
];

export interface LintResult {
  readonly id: string;
  readonly level: "fatal" | "warning";
  readonly status: "passed" | "failed" | "skipped";
  readonly problems: readonly string[];
}

export interface LintReport {
  readonly results: readonly LintResult[];
  /** Fatal failures, plus warnings with `fatalWarnings`. */
  readonly failed: readonly string[];
}

export async function lintImage(
  root: string,
  options: { skip?: readonly string[]; fatalWarnings?: boolean } = {},
): Promise<LintReport> {
  const skip = new Set(options.skip ?? []);
  for (const id of skip) if (!LINTS.some((l) => l.id === id)) throw BootcErrors.lintUnknown(id);
  const results: LintResult[] = [];
  for (const lint of LINTS) {
    if (skip.has(lint.id)) {
      results.push({ id: lint.id, level: lint.level, status: "skipped", problems: [] });
      continue;
    }
    const problems = await lint.check(root);
    results.push({
      id: lint.id,
      level: lint.level,
      status: problems.length === 0 ? "passed" : "failed",
      problems,
    });
  }
  const failed = results
    .filter((r) => r.status === "failed" && (r.level === "fatal" || options.fatalWarnings))
    .map((r) => r.id);
  return { results, failed };
}

/** Lints an image of a store: mounts it read-only at a fresh directory below `workDir` meanwhile. */
export async function lintStoredImage(
  store: DeployStore,
  ref: string,
  workDir: string,
  options: { skip?: readonly string[]; fatalWarnings?: boolean } = {},
): Promise<LintReport> {
  await fs.mkdir(workDir, { recursive: true });
  const target = await fs.mkdtemp(path.join(workDir, "lint-"));
  try {
    await store.mount(ref, target);
    try {
      return await lintImage(target, options);
    } finally {
      await store.unmount(target);
    }
  } finally {
    await fs.rm(target, { recursive: true, force: true });
  }
}
