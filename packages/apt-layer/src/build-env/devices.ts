import { promises as fs } from "node:fs";
import path from "node:path";
import { mount, run } from "@particle/runtime";

/** The device nodes a package's maintainer scripts may need; nothing else of the host's /dev. */
const NODES: readonly { name: string; major: number; minor: number }[] = [
  { name: "null", major: 1, minor: 3 },
  { name: "zero", major: 1, minor: 5 },
  { name: "full", major: 1, minor: 7 },
  { name: "random", major: 1, minor: 8 },
  { name: "urandom", major: 1, minor: 9 },
  { name: "tty", major: 5, minor: 0 },
];

const LINKS: readonly [string, string][] = [
  ["fd", "/proc/self/fd"],
  ["stdin", "/proc/self/fd/0"],
  ["stdout", "/proc/self/fd/1"],
  ["stderr", "/proc/self/fd/2"],
  ["ptmx", "pts/ptmx"],
];

/**
 * Mounts a minimal /dev on `dev`: a tmpfs with fresh device nodes, a private devpts instance and a
 * tmpfs /dev/shm. Nothing is bound from the host's /dev, and the image's own /dev is hidden, not changed.
 */
export async function mountMinimalDev(dev: string): Promise<void> {
  await mount({ source: "tmpfs", target: dev, type: "tmpfs", options: ["mode=0755", "nosuid", "size=16m"] });
  for (const node of NODES) {
    await run("mknod", [
      "-m",
      "0666",
      path.join(dev, node.name),
      "c",
      String(node.major),
      String(node.minor),
    ]);
  }
  for (const [name, target] of LINKS) await fs.symlink(target, path.join(dev, name));
  await fs.mkdir(path.join(dev, "pts"));
  await fs.mkdir(path.join(dev, "shm"), { mode: 0o1777 });
  await fs.chmod(path.join(dev, "shm"), 0o1777);
  await mount({
    source: "devpts",
    target: path.join(dev, "pts"),
    type: "devpts",
    options: ["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
  });
  await mount({
    source: "tmpfs",
    target: path.join(dev, "shm"),
    type: "tmpfs",
    options: ["mode=1777", "nosuid", "nodev"],
  });
}
