import { promises as fs } from "node:fs";
import path from "node:path";

/** A running process and the files it uses, as paths in its own view of the filesystem. */
export interface ProcessFiles {
  readonly pid: number;
  /** The targets of its fd links, and with `mapped` also of its exe link and its mapped files. */
  readonly files: readonly string[];
}

/**
 * Scans /proc for the files every process uses (the machine's `fuser`/`lsof`): open descriptors,
 * and with `mapped` the executable and mapped libraries too. A process that ends, or cannot be
 * read, while we look is skipped or shows fewer files: the answer is a snapshot.
 */
export async function processFiles(options: { mapped?: boolean } = {}): Promise<ProcessFiles[]> {
  const found: ProcessFiles[] = [];
  // One process at a time: in parallel, thousands of processes could exhaust our descriptors, and a
  // failed read would look like a process with no files.
  for (const pid of (await fs.readdir("/proc")).filter((name) => /^\d+$/.test(name)))
    found.push({ pid: Number(pid), files: await filesOf(pid, options) });
  return found;
}

async function filesOf(pid: string, options: { mapped?: boolean }): Promise<string[]> {
  const proc = path.join("/proc", pid);
  const fds = await fs.readdir(path.join(proc, "fd")).catch(() => []);
  const links = fds.map((fd) => path.join(proc, "fd", fd));
  if (options.mapped) links.push(path.join(proc, "exe"));
  const files = (await Promise.all(links.map((link) => fs.readlink(link).catch(() => "")))).filter(Boolean);
  if (options.mapped) {
    const maps = await fs.readFile(path.join(proc, "maps"), "utf8").catch(() => "");
    for (const line of maps.split("\n")) {
      const file = line.split(/\s+/).slice(5).join(" ");
      if (file.startsWith("/")) files.push(file);
    }
  }
  return [...new Set(files)];
}
