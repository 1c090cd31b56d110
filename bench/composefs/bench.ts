/**
 * Benchmark of the image store against ostree, in one run on the same Debian rootfs:
 * - layer creation time (squashfs zstd-3, erofs lz4hc) against `ostree commit` into a bare repo;
 * - mount time of images of 1, 10 and 50 layers;
 * - store growth for a second image that differs by one package, against ostree repo growth.
 *
 * Run as root: `pnpm bench:composefs`. Needs network access to the Debian archive (apt-get).
 * Everything happens below one scratch directory that is unmounted and removed at the end.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store } from "../../packages/composefs/src/index.js";
import {
  bindMount,
  mount,
  mountOverlay,
  run,
  unmount,
  unmountAll,
} from "../../packages/runtime/src/index.js";
import { debianRootfs } from "../../tooling/test-kit/src/rootfs.js";

/** The one package that the second image adds. */
const PACKAGE = "less";
const RUNS = 3;

async function seconds<T>(body: () => Promise<T>): Promise<{ value: T; s: number }> {
  const start = process.hrtime.bigint();
  const value = await body();
  return { value, s: Number(process.hrtime.bigint() - start) / 1e9 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function duBytes(dir: string): Promise<number> {
  const { stdout } = await run("du", ["-sb", dir]);
  return Number(stdout.split("\t")[0]);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (s: number) => `${s.toFixed(2)} s`;

async function chroot(root: string, args: string[]): Promise<void> {
  await run("chroot", [root, ...args], {
    env: { DEBIAN_FRONTEND: "noninteractive", PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8" },
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run the benchmark as root (mounts, loop devices, chroot)");
  const rootfs = await debianRootfs({ suite: "bookworm" });
  const scratch = await fs.mkdtemp(
    path.join(process.env.PARTICLE_TEST_SCRATCH ?? "/var/tmp", "particle-bench-composefs-"),
  );
  const d = (name: string) => path.join(scratch, name);
  try {
    for (const name of ["u0", "w0", "a", "u1", "w1", "b", "repo", "mnt"]) await fs.mkdir(d(name));
    console.log(
      `particle-composefs benchmark on ${os.cpus().length} cores, rootfs ${rootfs} (${mib(await duBytes(rootfs))})`,
    );

    // Tree A: the rootfs without device nodes, which ostree cannot store (the same input for both tools).
    await mountOverlay({ lower: [rootfs], upper: d("u0"), work: d("w0"), target: d("a") });
    await run("find", [
      path.join(d("a"), "dev"),
      "-mindepth",
      "1",
      "(",
      "-type",
      "c",
      "-o",
      "-type",
      "b",
      ")",
      "-delete",
    ]);
    await unmount(d("a"));
    await mountOverlay({ lower: [d("u0"), rootfs], target: d("a") });

    // 1. Layer creation against ostree commit.
    const store = await Store.open(d("store"), { create: true, runDir: d("run") });
    const squash = await seconds(() => store.createLayer(d("a")));
    const squashAgain = await seconds(() => store.createLayer(d("a")));
    const erofs = await seconds(() => store.createLayer(d("a"), { format: "erofs" }));
    await run("ostree", ["init", `--repo=${d("repo")}`, "--mode=bare"]);
    const ostreeCommit = (branch: string, tree: string) =>
      seconds(() =>
        run("ostree", [
          "commit",
          `--repo=${d("repo")}`,
          `--branch=${branch}`,
          `--tree=dir=${tree}`,
          "-s",
          branch,
        ]),
      );
    const ostreeA = await ostreeCommit("a", d("a"));
    const ostreeAgain = await ostreeCommit("a-again", d("a"));
    console.log("\n## Layer creation (same tree)");
    console.log(`squashfs zstd-3 layer:        ${fmt(squash.s)}  (${mib(squash.value.size)})`);
    console.log(`erofs lz4hc-3 layer:          ${fmt(erofs.s)}  (${mib(erofs.value.size)})`);
    console.log(`ostree commit (bare repo):    ${fmt(ostreeA.s)}  (repo ${mib(await duBytes(d("repo")))})`);
    console.log(`ratio squashfs / ostree:      ${(squash.s / ostreeA.s).toFixed(2)}`);
    console.log(
      `same tree again: layer ${fmt(squashAgain.s)} (blob reused: ${squashAgain.value.digest === squash.value.digest}), ostree ${fmt(ostreeAgain.s)}`,
    );

    // 3. Growth for a second image that differs by one package.
    const imageA = await store.commitImage({ name: "bench/a", layers: [squash.value] });
    const storeBefore = await duBytes(path.join(d("store"), "blobs"));
    const repoBefore = await duBytes(path.join(d("repo"), "objects"));
    await mountOverlay({ lower: [d("u0"), rootfs], upper: d("u1"), work: d("w1"), target: d("b") });
    try {
      await mount({ source: "proc", target: path.join(d("b"), "proc"), type: "proc" });
      await bindMount("/dev", path.join(d("b"), "dev"));
      await fs.copyFile("/etc/resolv.conf", path.join(d("b"), "etc/resolv.conf"));
      await chroot(d("b"), ["apt-get", "update", "-q"]);
      await chroot(d("b"), ["apt-get", "install", "-y", "-q", "--no-install-recommends", PACKAGE]);
      await chroot(d("b"), ["apt-get", "clean"]);
      await chroot(d("b"), ["rm", "-rf", "/var/lib/apt/lists"]);
      await chroot(d("b"), ["mkdir", "/var/lib/apt/lists"]);
    } finally {
      await unmount(path.join(d("b"), "dev")).catch(() => undefined);
      await unmount(path.join(d("b"), "proc")).catch(() => undefined);
      await unmount(d("b"));
    }
    await mountOverlay({ lower: [d("u1"), d("u0"), rootfs], target: d("b") });
    const top = await seconds(() => store.createLayer(d("u1")));
    await store.commitImage({
      name: "bench/b",
      layers: [squash.value, top.value],
      parent: imageA.manifestDigest,
    });
    const ostreeB = await ostreeCommit("b", d("b"));
    const storeGrowth = (await duBytes(path.join(d("store"), "blobs"))) - storeBefore;
    const repoGrowth = (await duBytes(path.join(d("repo"), "objects"))) - repoBefore;
    console.log(`\n## Second image = first + apt-get install ${PACKAGE}`);
    console.log(`store: new layer from the overlay upper in ${fmt(top.s)}; store grew ${mib(storeGrowth)}`);
    console.log(`ostree: commit of the whole new tree in ${fmt(ostreeB.s)}; repo grew ${mib(repoGrowth)}`);
    console.log(`ratio store growth / ostree growth: ${(storeGrowth / repoGrowth).toFixed(2)}`);

    // 2. Mount time of images of 1, 10 and 50 layers (the rootfs layer plus small layers).
    const small = [];
    for (let i = 0; i < 49; i++) {
      const tree = d(`small-${i}`);
      await fs.mkdir(path.join(tree, "etc/bench"), { recursive: true });
      await fs.writeFile(path.join(tree, "etc/bench", `layer-${i}`), `${i}\n`);
      small.push(await store.createLayer(tree));
    }
    console.log(`\n## Mount (median of ${RUNS}; layer hashes already verified and cached)`);
    for (const count of [1, 10, 50]) {
      const ref = `bench/layers-${count}`;
      await store.commitImage({
        name: `bench/layers-${count}`,
        layers: [squash.value, ...small.slice(0, count - 1)],
      });
      const cold = await seconds(() => store.mount(ref, d("mnt")));
      await store.unmount(d("mnt"));
      const mounts: number[] = [];
      const unmounts: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        mounts.push((await seconds(() => store.mount(ref, d("mnt")))).s);
        unmounts.push((await seconds(() => store.unmount(d("mnt")))).s);
      }
      console.log(
        `${String(count).padStart(2)} layers: mount ${fmt(median(mounts))}, unmount ${fmt(median(unmounts))} (first mount ${fmt(cold.s)})`,
      );
    }
  } finally {
    await unmountAll(scratch, { lazy: true });
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

await main();
