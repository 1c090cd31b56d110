import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import type { ImageInfo, Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { debianRootfs } from "@particle/test-kit";
import { scanTree } from "../../src/tar/tree.js";
import { CAPABILITY } from "../fixtures/archives.js";

export const CREATED = "2023-11-14T22:13:20Z";

/**
 * A store image of two layers: Debian minbase, then an overlay upper with a whiteout (etc/issue.net
 * removed), an opaque directory (usr/share/doc/dpkg replaced), a file with a binary
 * security.capability xattr, a hardlink pair, a fifo and a long name.
 */
export async function buildTestImage(store: Store, scratch: string, name = "deb:1"): Promise<ImageInfo> {
  const rootfs = await debianRootfs();
  const base = await store.createLayer(rootfs, { compression: "zstd", level: 3 });
  const upper = path.join(scratch, "upper");
  await fs.mkdir(path.join(upper, "etc"), { recursive: true });
  await run("mknod", [path.join(upper, "etc/issue.net"), "c", "0", "0"]);
  await fs.mkdir(path.join(upper, "usr/share/doc/dpkg"), { recursive: true });
  await fs.writeFile(path.join(upper, "usr/share/doc/dpkg/only-this"), "opaque\n");
  await run("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", path.join(upper, "usr/share/doc/dpkg")]);
  await fs.mkdir(path.join(upper, "usr/local/bin"), { recursive: true });
  await fs.writeFile(path.join(upper, "usr/local/bin/pinger"), "#!/bin/sh\necho ping\n", { mode: 0o755 });
  await run("setfattr", [
    "-n",
    "security.capability",
    "-v",
    `0x${CAPABILITY.toString("hex")}`,
    path.join(upper, "usr/local/bin/pinger"),
  ]);
  await fs.link(path.join(upper, "usr/local/bin/pinger"), path.join(upper, "usr/local/bin/pinger-again"));
  await run("mkfifo", [path.join(upper, "usr/local/fifo")]);
  const long = path.join(upper, "usr/local/share", "d".repeat(90), "f".repeat(120));
  await fs.mkdir(path.dirname(long), { recursive: true });
  await fs.writeFile(long, "long name\n");
  for (const p of ["etc/issue.net", "usr/local/fifo"])
    await fs.lutimes(path.join(upper, p), 1_700_000_000, 1_700_000_000);
  await run("find", [upper, "-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"]);
  const top = await store.createLayer(upper, { compression: "zstd", level: 3 });
  const [imageName, tag] = name.split(":") as [string, string];
  return store.commitImage({ name: imageName, tag, layers: [base, top], created: CREATED });
}

/** A comparable listing of a tree: type, mode, owner, size, link target, device, content hash, xattrs. */
export async function treeSignature(
  root: string,
  options: { ignoreXattrs?: RegExp } = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await scanTree(root)) {
    let hash = "";
    if (e.type === "file") {
      const h = createHash("sha256");
      for await (const chunk of createReadStream(path.join(root, e.path))) h.update(chunk as Buffer);
      hash = h.digest("hex").slice(0, 16);
    }
    const type = e.type === "hardlink" ? "file" : e.type;
    const xattrs = Object.entries(e.xattrs)
      .filter(([k]) => !options.ignoreXattrs?.test(k))
      .map(([k, v]) => `${k}=${v.toString("hex")}`)
      .sort()
      .join(",");
    out.set(
      e.path,
      [
        type,
        e.mode.toString(8),
        e.uid,
        e.gid,
        e.type === "hardlink" ? "" : e.size,
        e.linkname && e.type === "symlink" ? e.linkname : "",
        `${e.devmajor}:${e.devminor}`,
        hash,
        xattrs,
      ].join(" "),
    );
  }
  return out;
}

/** Differences between two signatures, for readable assertion failures. */
export function diffSignatures(a: Map<string, string>, b: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [p, s] of a) if (b.get(p) !== s) diffs.push(`${p}: ${s} != ${b.get(p) ?? "(missing)"}`);
  for (const p of b.keys()) if (!a.has(p)) diffs.push(`${p}: (missing) != ${b.get(p)}`);
  return diffs;
}
