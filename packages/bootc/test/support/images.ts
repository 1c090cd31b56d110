import { promises as fs } from "node:fs";
import path from "node:path";
import type { Store } from "@particle/composefs";

/** A file's content, or a symlink, or a file with a mode. */
export type TreeEntry =
  | string
  | { readonly symlink: string }
  | { readonly content: string; readonly mode: number };

/** The smallest tree `deploy` accepts: a kernel and initramfs (fake bytes: nothing boots them here), /etc, /var, /usr. */
export function baseTree(version: string, kernel = "kernel-1"): Record<string, TreeEntry> {
  return {
    "boot/vmlinuz-6.1.0-test": kernel,
    "boot/initrd.img-6.1.0-test": `initrd of ${kernel}`,
    "etc/hostname": "particle\n",
    "etc/motd": "welcome\n",
    "etc/issue": "Particle 1\n",
    "etc/both.conf": "setting=1\n",
    "etc/shadow": { content: "root:*:1::::::\n", mode: 0o640 },
    "etc/os-release": `VERSION_ID=${version}\n`,
    "var/lib/dpkg/status": `Package: particle-image\nVersion: ${version}\n`,
    "var/lib/image-seed": "seeded from the first image\n",
    "usr/bin/hello": "#!/bin/sh\necho hello\n",
    "sysroot/.keep": "",
  };
}

export async function writeTree(dir: string, tree: Record<string, TreeEntry>): Promise<void> {
  for (const [rel, entry] of Object.entries(tree)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (typeof entry === "string") await fs.writeFile(file, entry);
    else if ("symlink" in entry) await fs.symlink(entry.symlink, file);
    else {
      await fs.writeFile(file, entry.content);
      await fs.chmod(file, entry.mode);
    }
  }
}

/** Builds a one-layer image (squashfs, fast zstd) from a tree and tags it `name:tag` in the store. */
export async function makeImage(
  store: Store,
  work: string,
  ref: string,
  tree: Record<string, TreeEntry>,
  version: string,
): Promise<string> {
  const dir = path.join(work, `tree-${ref.replace(/[^a-z0-9]/g, "_")}-${Date.now()}`);
  await writeTree(dir, tree);
  const layer = await store.createLayer(dir, { format: "squashfs", compression: "zstd", level: 3 });
  const [name, tag] = ref.split(":") as [string, string];
  const image = await store.commitImage({
    name,
    tag,
    layers: [layer],
    labels: { "org.opencontainers.image.version": version },
  });
  return image.manifestDigest;
}
