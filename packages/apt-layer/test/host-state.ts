import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/** A digest of a host tree (names, modes, sizes, contents, link targets) to prove a build changed nothing there. */
export async function hashTree(root: string): Promise<string> {
  const hash = createHash("sha256");
  async function walk(dir: string): Promise<void> {
    for (const name of (await fs.readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const stat = await fs.lstat(p);
      hash.update(`${p}\0${stat.mode}\0${stat.size}\0${stat.mtimeMs}\0`);
      if (stat.isDirectory()) await walk(p);
      else if (stat.isSymbolicLink()) hash.update(await fs.readlink(p));
      else if (stat.isFile()) hash.update(await fs.readFile(p).catch(() => Buffer.from("unreadable")));
    }
  }
  await walk(root);
  return hash.digest("hex");
}

/** The host state apt-layer must never touch. */
export async function hostState(): Promise<{ etc: string; dpkgStatus: string }> {
  return {
    etc: await hashTree("/etc"),
    dpkgStatus: createHash("sha256")
      .update(await fs.readFile("/var/lib/dpkg/status"))
      .digest("hex"),
  };
}
