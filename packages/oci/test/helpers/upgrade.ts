import { promises as fs } from "node:fs";
import path from "node:path";
import type { ImageInfo, Store } from "@particle/composefs";

/**
 * Simulates `apt upgrade` of one package on top of an image: every file the package owns gets new
 * content, and dpkg's status records a new version (what a real upgrade changes on disk). A new
 * layer holds the change, as apt-layer would commit it.
 */
export async function upgradeOnePackage(
  store: Store,
  scratch: string,
  from: string,
  to: string,
  pkg: string,
): Promise<ImageInfo> {
  const mnt = path.join(scratch, `upgrade-mnt-${pkg}`);
  const upper = path.join(scratch, `upgrade-upper-${pkg}`);
  await fs.mkdir(mnt, { recursive: true });
  await store.mount(from, mnt);
  try {
    const list = await fs.readFile(path.join(mnt, `var/lib/dpkg/info/${pkg}.list`), "utf8");
    for (const listed of list.split("\n").filter(Boolean)) {
      const real = await fs.realpath(path.join(mnt, listed)).catch(() => undefined);
      if (!real?.startsWith(`${mnt}/`)) continue;
      const stat = await fs.lstat(real);
      if (!stat.isFile()) continue;
      const rel = path.relative(mnt, real);
      await fs.mkdir(path.dirname(path.join(upper, rel)), { recursive: true });
      await fs.writeFile(
        path.join(upper, rel),
        Buffer.concat([await fs.readFile(real), Buffer.from(`\n# upgraded ${pkg}\n`)]),
        { mode: stat.mode & 0o7777 },
      );
    }
    const status = await fs.readFile(path.join(mnt, "var/lib/dpkg/status"), "utf8");
    const upgraded = status.replace(
      new RegExp(`(Package: ${pkg}\\n(?:.+\\n)*?Version: )(.+)`),
      "$1$2+particle1",
    );
    await fs.mkdir(path.join(upper, "var/lib/dpkg"), { recursive: true });
    await fs.writeFile(path.join(upper, "var/lib/dpkg/status"), upgraded);
  } finally {
    await store.unmount(mnt);
  }
  const base = await store.resolve(from);
  const layer = await store.createLayer(upper, { compression: "zstd", level: 3 });
  const [name, tag] = to.split(":") as [string, string];
  return store.commitImage({ name, tag, layers: [...base.layers, layer], created: base.created });
}
