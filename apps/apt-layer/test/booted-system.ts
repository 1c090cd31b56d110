import { type ChildProcess, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { importTree, openStore } from "@particle/apt-layer";
import { initSysroot, switchImage } from "@particle/bootc";
import { CACHE_ROOT, debianRootfs, destroyScratch, scratchDir } from "@particle/test-kit";
import { execa, type Result } from "execa";

/**
 * A booted Particle deployment as a test's `/`, without a VM: a sysroot with one deployment of a real
 * Debian image (with what the particle package needs: nodejs, attr, and squashfs-tools for commits; and the bundled apt-layer CLI), mounted by
 * bootc's own initramfs script (read-only layers as /, the writable /etc overlay, the shared /var,
 * the image's /var/lib/dpkg read-only, the state directories), then made the root of a private mount
 * namespace with pivot_root (and / made shared, as systemd makes it). A holder process keeps the
 * namespace; `run` enters it (nsenter) for each command. Nothing of the host's / is touched.
 */

const BUNDLE = path.resolve(__dirname, "../dist/apt-layer.mjs");
const BOOT_SCRIPT = path.resolve(
  __dirname,
  "../../../packages/bootc/boot/initramfs-tools/scripts/local-bottom/particle",
);
/** apt's lists and .debs, kept between runs (caches, never part of a layer); its own, so that no other test's apt holds its locks. */
const APT_CACHE = path.join(CACHE_ROOT, "apt-layer-live", "apt");
export const CLI = "/usr/lib/particle/apt-layer.mjs";

export interface BootedSystem {
  readonly dir: string;
  /** The physical root as the host sees it (the deployment sees it at /sysroot). */
  readonly sysroot: string;
  readonly deployment: string;
  /** Runs a command inside the deployment (as root, in its mount namespace and root). */
  run(argv: readonly string[], env?: Record<string, string>): Promise<Result>;
  /** Starts a command inside (its stdin a pipe that stays open) and returns it without waiting. */
  start(argv: readonly string[], env?: Record<string, string>): ChildProcess;
  /** Runs the apt-layer CLI inside with Debian's Node.js. */
  aptLayer(args: readonly string[], env?: Record<string, string>): Promise<Result>;
  destroy(): Promise<void>;
}

const INSIDE_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  PARTICLE_LOGGING_FILE: "",
};

/** The image: Debian with nodejs, attr, bubblewrap (the build sandbox) and squashfs-tools, plus a layer with a fake kernel, /sysroot and the CLI. */
async function makeImage(dir: string, storeRoot: string, runDir: string): Promise<void> {
  const store = await openStore(storeRoot, { runDir });
  const ctx = { store, stateDir: path.join(dir, "build-state"), cacheDir: path.join(dir, "build-cache") };
  const base = await importTree(ctx, {
    // Debian 12's Node.js 18: the oldest the CLIs support.
    source: await debianRootfs({
      suite: "bookworm",
      include: ["attr", "bubblewrap", "nodejs", "squashfs-tools"],
    }),
    target: "debian:node",
  });
  const extra = path.join(dir, "extra");
  await fs.mkdir(path.join(extra, "boot"), { recursive: true });
  await fs.mkdir(path.join(extra, "sysroot"));
  await fs.mkdir(path.join(extra, path.dirname(CLI)), { recursive: true });
  await fs.writeFile(path.join(extra, "boot/vmlinuz-6.1.0-test"), "kernel (nothing boots it here)\n");
  await fs.writeFile(path.join(extra, "boot/initrd.img-6.1.0-test"), "initrd\n");
  await fs.copyFile(BUNDLE, path.join(extra, CLI));
  const layer = await store.createLayer(extra, { format: "squashfs", compression: "zstd", level: 3 });
  await store.commitImage({
    name: "os",
    tag: "1",
    layers: [...base.layers, layer],
    labels: { ...base.labels, "org.opencontainers.image.version": "1" },
  });
}

/** Mounts the deployment as the boot script does, then pivots into it; prints "ready" and waits. */
function holderScript(dir: string): string {
  return `
set -eu
cd ${dir}
mkdir -p root run
mount --bind sysroot root
mount -t tmpfs tmpfs run
rootmnt=${dir}/root PARTICLE_CMDLINE=${dir}/cmdline PARTICLE_RUN=${dir}/run/particle sh ${BOOT_SCRIPT}
# The layers' loop devices go when their mounts go (with this namespace), however the test ends.
for dev in $(awk '$5 ~ "^${dir}/run/particle/layers/" {for (i = 7; i < NF; i++) if ($i == "-") print $(i + 2)}' /proc/self/mountinfo); do
  losetup -d "$dev"
done
mount --move run root/run
mount -t proc proc root/proc
mount --rbind /dev root/dev
mount --bind /sys root/sys
mount -o remount,bind,ro root/sys
mount -t tmpfs tmpfs root/tmp
mkdir -p root/var/cache/particle/apt-layer/apt
mount --bind ${APT_CACHE} root/var/cache/particle/apt-layer/apt
cd root
pivot_root . .
umount -l .
cd /
mount --make-rshared /
echo ready
exec sleep infinity
`;
}

export async function bootedSystem(name: string): Promise<BootedSystem> {
  const dir = await scratchDir(name, { scope: "manual" });
  let holder: ChildProcess | undefined;
  const destroy = async () => {
    if (holder?.pid !== undefined && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder?.once("exit", resolve));
      holder.kill("SIGKILL");
      await exited;
    }
    await destroyScratch(dir);
  };
  try {
    const runDir = path.join(dir, "store-run");
    const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir: runDir });
    await makeImage(dir, sysroot.layout.store, runDir);
    const staged = await switchImage(sysroot, { reference: "os:1", kargs: ["ro"], finalize: true });
    await fs.writeFile(path.join(dir, "cmdline"), `ro particle.deployment=${staged.deployment}\n`);
    await fs.mkdir(APT_CACHE, { recursive: true });
    const child = spawn("unshare", ["--mount", "--propagation", "private", "bash", "-c", holderScript(dir)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    holder = child;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready")) resolve();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.once("exit", (code) =>
        reject(new Error(`the deployment did not come up (exit ${code}): ${err}`)),
      );
    });
    const pid = String(child.pid);
    const enter = (argv: readonly string[]) => [
      "--target",
      pid,
      "--mount",
      "--root",
      "--wd",
      "--",
      "/usr/bin/env",
      "-i",
      ...argv,
    ];
    const withEnv = (env: Record<string, string>) =>
      Object.entries({ ...INSIDE_ENV, ...env }).map(([k, v]) => `${k}=${v}`);
    const run = (argv: readonly string[], env: Record<string, string> = {}) =>
      execa("nsenter", enter([...withEnv(env), ...argv]), { reject: false });
    return {
      dir,
      sysroot: sysroot.root,
      deployment: staged.deployment,
      run,
      start: (argv, env = {}) =>
        spawn("nsenter", enter([...withEnv(env), ...argv]), { stdio: ["pipe", "pipe", "pipe"] }),
      aptLayer: (args, env = {}) => run(["/usr/bin/node", CLI, ...args], env),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
