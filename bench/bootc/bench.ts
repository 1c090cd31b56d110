/**
 * Benchmark of booting and upgrading a Particle deployment, in one run:
 * - time from power-on to multi-user (the guest's first marker line) of deployment A, against the same
 *   image A flattened onto a plain ext4 root, both booted the same way (QEMU TCG, direct kernel boot
 *   with A's kernel and initramfs, so only the root differs: overlay of loop-mounted squashfs layers
 *   plus /etc overlay and /var bind, against ext4);
 * - time to stage an upgrade to B on the host (kernel copy, deployment directory, /var untouched) and
 *   to finalize it (three-way /etc merge, entry-set switch).
 *
 * Run as root: `pnpm bench:bootc` (builds the packages' CLIs first if their dist is missing). Needs
 * the Debian archive for the cached rootfs. Everything happens below one scratch directory.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  finalizeStaged,
  initSysroot,
  installToDisk,
  ociImporter,
  Sysroot,
  stageDeployment,
  switchImage,
  writeDisk,
} from "../../packages/bootc/src/index.js";
import { buildE2eImages, GUEST_REFERENCE } from "../../packages/bootc/test/support/e2e-images.js";
import { Store } from "../../packages/composefs/src/index.js";
import { exportImage } from "../../packages/oci/src/index.js";
import { run, unmountAll } from "../../packages/runtime/src/index.js";
import { detachLoopDevicesUnder } from "../../tooling/test-kit/src/loop.js";
import { bootVm } from "../../tooling/test-kit/src/vm/qemu.js";

const RUNS = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function seconds<T>(body: () => Promise<T>): Promise<{ value: T; s: number }> {
  const start = process.hrtime.bigint();
  const value = await body();
  return { value, s: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Boots to the first marker line (printed by a unit ordered after multi-user.target); seconds. */
async function bootSeconds(
  work: string,
  disk: string,
  kernel: string,
  initrd: string,
  append: string,
): Promise<number> {
  const result = await bootVm({
    firmware: "bios",
    disk,
    kernel,
    initrd,
    append: `${append} console=ttyS0,115200 panic=-1`,
    workDir: work,
    until: /PARTICLE-MARKER boot step=0/,
    timeoutMs: 600_000,
    memoryMiB: 1024,
  });
  if (!result.matched)
    throw new Error(`the guest did not reach multi-user:\n${result.serialLog.slice(-2000)}`);
  return result.durationMs / 1000;
}

const dir = await fs.mkdtemp(path.join("/var/tmp", "particle-bench-bootc-"));
try {
  const deb = (
    await run("node", [
      path.resolve(import.meta.dirname, "../../packaging/deb/build-deb.mjs"),
      "--out",
      path.join(dir, "deb"),
    ])
  ).stdout.trim();
  const runDir = path.join(dir, "run");
  const store = await Store.open(path.join(dir, "store"), { create: true, runDir });
  const images = await buildE2eImages(store, path.join(dir, "build"), deb);
  const importer = ociImporter({
    workDir: path.join(dir, "import"),
    authFile: path.join(dir, "no-auth.json"),
  });

  // The Particle disk, and A's kernel, initramfs and command line from its boot entry.
  const particleDisk = path.join(dir, "particle.img");
  const installed = await installToDisk(particleDisk, {
    reference: images.hostReference,
    trackedReference: GUEST_REFERENCE,
    importer,
    bootloader: async () => {},
    rootMiB: 2048,
    storeRunDir: runDir,
  });
  const a = await store.resolve("e2e/os:a");
  const tree = path.join(dir, "tree-a");
  await fs.mkdir(tree);
  await store.mount(a.manifestDigest, tree);
  const kernelDir = path.join(dir, "kernel");
  await fs.mkdir(kernelDir);
  const version = (await fs.readdir(path.join(tree, "boot")))
    .find((n) => n.startsWith("vmlinuz-"))
    ?.slice("vmlinuz-".length) as string;
  await fs.copyFile(path.join(tree, "boot", `vmlinuz-${version}`), path.join(kernelDir, "vmlinuz"));
  await fs.copyFile(path.join(tree, "boot", `initrd.img-${version}`), path.join(kernelDir, "initrd.img"));

  // The plain disk: the same image, flattened onto ext4.
  const plainRoot = path.join(dir, "plain-root");
  await run("cp", ["-a", `${tree}/.`, plainRoot]);
  await store.unmount(tree);
  const plainDisk = path.join(dir, "plain.img");
  const plainUuid = "0f0e0d0c-0b0a-4908-8706-050403020100";
  const emptyEsp = path.join(dir, "esp");
  await fs.mkdir(emptyEsp);
  await writeDisk(plainDisk, { espMiB: 64, rootMiB: 2048, rootUuid: plainUuid }, emptyEsp, plainRoot, dir);

  const kernel = path.join(kernelDir, "vmlinuz");
  const initrd = path.join(kernelDir, "initrd.img");
  const particleTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    particleTimes.push(
      await bootSeconds(
        path.join(dir, `vm-p${i}`),
        particleDisk,
        kernel,
        initrd,
        `root=UUID=${installed.layout.rootUuid} ro particle.deployment=${installed.deployment}`,
      ),
    );
    plainTimes.push(
      await bootSeconds(path.join(dir, `vm-e${i}`), plainDisk, kernel, initrd, `root=UUID=${plainUuid} rw`),
    );
  }

  // Staging and finalizing an upgrade on the host, into a sysroot holding A.
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir: runDir });
  await switchImage(sysroot, { reference: images.hostReference, importer, finalize: true });
  const layout = path.join(dir, "layout-b");
  await exportImage(store, "e2e/os:b", `oci:${layout}:b`, {
    workDir: path.join(dir, "export"),
    format: "native",
  });
  const imported = await importer(sysroot.store, `oci:${layout}:b`, "bench/b:latest");
  const booted = await Sysroot.open(sysroot.root, {
    store: sysroot.store,
    booted: (await sysroot.entrySet())?.entries[0]?.deployment as string,
  });
  const stage = await seconds(() => stageDeployment(booted, { image: imported.manifestDigest }));
  const finalize = await seconds(() => finalizeStaged(booted));

  const p = median(particleTimes);
  const e = median(plainTimes);
  const cpus = os.cpus().length;
  console.log(`bootc benchmark (QEMU TCG, -smp 2, ${cpus} host cores, median of ${RUNS})`);
  console.log(
    `  boot to multi-user, Particle deployment : ${p.toFixed(1)} s  (runs: ${particleTimes.map((t) => t.toFixed(1)).join(", ")})`,
  );
  console.log(
    `  boot to multi-user, plain ext4 root     : ${e.toFixed(1)} s  (runs: ${plainTimes.map((t) => t.toFixed(1)).join(", ")})`,
  );
  console.log(`  ratio Particle / plain                  : ${(p / e).toFixed(2)}`);
  console.log(`  stage an upgrade (host)                 : ${stage.s.toFixed(2)} s`);
  console.log(`  finalize it (/etc merge, entry switch)  : ${finalize.s.toFixed(2)} s`);
} finally {
  await unmountAll(dir, { lazy: true });
  await detachLoopDevicesUnder(dir);
  await fs.rm(dir, { recursive: true, force: true });
}
