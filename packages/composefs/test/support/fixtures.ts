import { promises as fs } from "node:fs";
import path from "node:path";
import { mountOverlay, run, unmount } from "@particle/runtime";

/**
 * A small lower tree and an overlay upper made by really changing it through overlayfs: a deleted
 * file (whiteout), a replaced directory (opaque), a copied-up file, a file with a file capability
 * and a hardlink to it, a device node, a sparse 64 MiB file, a symlink and a fifo.
 */
export async function makeLowerAndUpper(
  dir: string,
): Promise<{ lower: string; upper: string; work: string; merged: string }> {
  const lower = path.join(dir, "lower");
  const upper = path.join(dir, "upper");
  const work = path.join(dir, "work");
  const merged = path.join(dir, "merged");
  for (const d of [
    lower,
    upper,
    work,
    merged,
    path.join(lower, "etc/app/conf.d"),
    path.join(lower, "usr/bin"),
  ]) {
    await fs.mkdir(d, { recursive: true });
  }
  await fs.writeFile(path.join(lower, "etc/app/main.conf"), "main\n");
  await fs.writeFile(path.join(lower, "etc/app/conf.d/10-old.conf"), "old\n");
  await fs.writeFile(path.join(lower, "etc/removed"), "bye\n");
  await fs.writeFile(path.join(lower, "etc/hostname"), "lower\n");
  await fs.chown(path.join(lower, "etc/hostname"), 1000, 1000);
  await fs.copyFile("/bin/true", path.join(lower, "usr/bin/tool"));
  await mountOverlay({ lower: [lower], upper, work, target: merged });
  try {
    await fs.rm(path.join(merged, "etc/removed"));
    await fs.rm(path.join(merged, "etc/app/conf.d"), { recursive: true });
    await fs.mkdir(path.join(merged, "etc/app/conf.d"));
    await fs.writeFile(path.join(merged, "etc/app/conf.d/20-new.conf"), "new\n");
    await fs.appendFile(path.join(merged, "etc/hostname"), "changed\n");
    await fs.copyFile("/bin/true", path.join(merged, "usr/bin/pinger"));
    await run("setcap", ["cap_net_raw+p", path.join(merged, "usr/bin/pinger")]);
    await fs.link(path.join(merged, "usr/bin/pinger"), path.join(merged, "usr/bin/pinger-link"));
    await run("mknod", ["-m", "0600", path.join(merged, "etc/devnull"), "c", "1", "3"]);
    await run("mkfifo", [path.join(merged, "etc/fifo")]);
    await fs.symlink("../usr/bin/pinger", path.join(merged, "etc/pinger"));
    await run("truncate", ["-s", "64M", path.join(merged, "sparse.img")]);
    await fs.appendFile(path.join(merged, "sparse.img"), "tail");
    await run("setfattr", ["-n", "user.particle.note", "-v", "kept", path.join(merged, "etc/app/main.conf")]);
  } finally {
    await unmount(merged);
  }
  return { lower, upper, work, merged };
}
