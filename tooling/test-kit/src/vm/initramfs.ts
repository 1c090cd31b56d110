import { promises as fs } from "node:fs";
import path from "node:path";

/** One member of a newc cpio archive. */
export type CpioEntry =
  | { readonly path: string; readonly type: "dir"; readonly mode?: number }
  | {
      readonly path: string;
      readonly type: "file";
      readonly data: Uint8Array | string;
      readonly mode?: number;
    }
  | { readonly path: string; readonly type: "symlink"; readonly target: string }
  | {
      readonly path: string;
      readonly type: "char";
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function header(fields: number[], name: string): Buffer {
  const hex = fields.map((f) => f.toString(16).padStart(8, "0")).join("");
  const head = Buffer.from(`070701${hex}`, "ascii");
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  return Buffer.concat([head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length))]);
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/**
 * Writes an uncompressed newc cpio (the initramfs format) in pure code, so device nodes need no root
 * and no mknod: the kernel creates them while unpacking.
 */
export function encodeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, "");
    let mode: number;
    let data = Buffer.alloc(0);
    let rdev = [0, 0];
    switch (entry.type) {
      case "dir":
        mode = S_IFDIR | (entry.mode ?? 0o755);
        break;
      case "file":
        mode = S_IFREG | (entry.mode ?? 0o644);
        data = Buffer.from(entry.data);
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = Buffer.from(entry.target, "utf8");
        break;
      case "char":
        mode = S_IFCHR | (entry.mode ?? 0o600);
        rdev = [entry.major, entry.minor];
        break;
    }
    const nlink = entry.type === "dir" ? 2 : 1;
    parts.push(
      header(
        [
          ino++,
          mode,
          0,
          0,
          nlink,
          0,
          data.length,
          0,
          0,
          rdev[0] ?? 0,
          rdev[1] ?? 0,
          Buffer.byteLength(name) + 1,
          0,
        ],
        name,
      ),
    );
    parts.push(data, Buffer.alloc(pad4(data.length)));
  }
  parts.push(header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, "TRAILER!!!".length + 1, 0], "TRAILER!!!"));
  return Buffer.concat(parts);
}

/** The line the marker initramfs prints on the second serial port; the tests wait for it. */
export const MARKER_PREFIX = "PARTICLE-MARKER";

// The kernel hands unknown `NAME=value` parameters (without a dot) to init as environment variables.
const INIT_SCRIPT = `#!/bin/sh
echo "${MARKER_PREFIX} \${PARTICLE_MARKER:-none}" > /dev/ttyS1
echo "${MARKER_PREFIX} \${PARTICLE_MARKER:-none}" > /dev/console
`;

/**
 * A tiny initramfs whose /init prints `PARTICLE-MARKER <value of PARTICLE_MARKER=…>` on ttyS1 and
 * exits; with `panic=-1` on the command line and QEMU's `-no-reboot` the VM then stops. It carries
 * dash and the C library from a Debian rootfs (minbase has no busybox).
 */
export async function buildMarkerInitramfs(rootfs: string, out: string): Promise<string> {
  const read = (p: string) => fs.readFile(path.join(rootfs, p));
  const entries: CpioEntry[] = [
    ...["bin", "dev", "lib", "lib/x86_64-linux-gnu", "lib64", "proc", "sys"].map((p) => ({
      path: p,
      type: "dir" as const,
    })),
    { path: "bin/sh", type: "file", data: await read("usr/bin/dash"), mode: 0o755 },
    {
      path: "lib/x86_64-linux-gnu/libc.so.6",
      type: "file",
      data: await read("usr/lib/x86_64-linux-gnu/libc.so.6"),
      mode: 0o755,
    },
    {
      path: "lib64/ld-linux-x86-64.so.2",
      type: "file",
      data: await read("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
      mode: 0o755,
    },
    { path: "dev/console", type: "char", major: 5, minor: 1 },
    { path: "dev/ttyS0", type: "char", major: 4, minor: 64 },
    { path: "dev/ttyS1", type: "char", major: 4, minor: 65 },
    { path: "init", type: "file", data: INIT_SCRIPT, mode: 0o755 },
  ];
  await fs.writeFile(out, encodeCpio(entries));
  return out;
}

/** The newest kernel image of a Debian rootfs (`/boot/vmlinuz-*`). */
export async function rootfsKernel(rootfs: string): Promise<string> {
  const names = (await fs.readdir(path.join(rootfs, "boot"))).filter((n) => n.startsWith("vmlinuz-")).sort();
  const last = names.at(-1);
  if (last === undefined)
    throw new Error(`${rootfs} has no /boot/vmlinuz-*: build it with include: ["linux-image-amd64"]`);
  return path.join(rootfs, "boot", last);
}
