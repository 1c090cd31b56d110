/**
 * Benchmark of `apt-layer BASE NEW PKGS` in one run, on the same Debian bookworm minbase rootfs and
 * the same packages, with apt's lists and .debs already downloaded for every contender (so the
 * mirror's speed does not decide the result):
 * - the floor: `chroot DIR apt-get install` into a bare overlay + `mksquashfs` of the upper (zstd-3),
 *   no isolation, no hygiene, no transaction, no store;
 * - buildah doing the same install on the same base (`buildah from` + `run apt-get install` + `commit`);
 * - apt-layer (isolated build, offline install, hygiene, journaled transaction, commit to the store).
 * (apt-layer's `--direct` mode, dpkg run directly in apt's order, was measured here against apt-get
 * and dropped: it was not reliably faster; see packages/apt-layer/README.md.)
 *
 * Run as root: `pnpm bench:apt-layer`. Needs the Debian mirror once (cache warm-up).
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { importTree } from "../../packages/apt-layer/src/build/bootstrap.js";
import { layerPackages } from "../../packages/apt-layer/src/build/install.js";
import type { AptLayerContext } from "../../packages/apt-layer/src/context.js";
import { openStore } from "../../packages/apt-layer/src/image/store.js";
import { bindMount, mount, mountOverlay, run, unmountAll } from "../../packages/runtime/src/index.js";
import { debianRootfs } from "../../tooling/test-kit/src/rootfs.js";

const PACKAGES = ["git", "curl", "jq", "python3"];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BUILDAH = ["--root", "", "--runroot", ""];

async function seconds(body: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const APT_ENV = {
  DEBIAN_FRONTEND: "noninteractive",
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C.UTF-8",
};

/** The floor: what any tool has to do at least. */
async function floor(rootfs: string, cache: string, dir: string): Promise<void> {
  const [upper, work, root] = ["upper", "work", "root"].map((n) => path.join(dir, n)) as [
    string,
    string,
    string,
  ];
  for (const d of [upper, work, root]) await fs.mkdir(d, { recursive: true });
  await mountOverlay({ lower: [rootfs], upper, work, target: root });
  try {
    await mount({ source: "proc", target: path.join(root, "proc"), type: "proc" });
    await bindMount("/dev", path.join(root, "dev"));
    await bindMount(path.join(cache, "archives"), path.join(root, "var/cache/apt/archives"));
    await bindMount(path.join(cache, "lists"), path.join(root, "var/lib/apt/lists"));
    await run(
      "chroot",
      [root, "apt-get", "-q", "-y", "-o", "APT::Sandbox::User=root", "install", "--no-download", ...PACKAGES],
      { env: APT_ENV },
    );
  } finally {
    await unmountAll(root);
  }
  await run("mksquashfs", [
    upper,
    path.join(dir, "layer.sqfs"),
    "-comp",
    "zstd",
    "-Xcompression-level",
    "3",
    "-noappend",
    "-quiet",
  ]);
}

async function buildahRun(args: string[], storage: string): Promise<string> {
  const global = BUILDAH.map((a, i) =>
    i === 1 ? path.join(storage, "root") : i === 3 ? path.join(storage, "runroot") : a,
  );
  return (await run("buildah", [...global, ...args])).stdout.trim();
}

/** buildah: a container from the same base, apt-get install in it, commit. */
async function buildah(storage: string, cache: string, tag: string): Promise<void> {
  // Explicit limits within this machine's hard limits (buildah's defaults exceed them here).
  const ctr = await buildahRun(
    [
      "from",
      "--pull-never",
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=4096:4096",
      "--cgroup-manager",
      "cgroupfs",
      "bench-base",
    ],
    storage,
  );
  await buildahRun(
    [
      "run",
      "--runtime",
      process.env.BENCH_OCI_RUNTIME ?? "/usr/bin/runc",
      "--network",
      "host",
      "-v",
      `${path.join(cache, "archives")}:/var/cache/apt/archives`,
      "-v",
      `${path.join(cache, "lists")}:/var/lib/apt/lists`,
      ctr,
      "--",
      "env",
      "DEBIAN_FRONTEND=noninteractive",
      "apt-get",
      "-q",
      "-y",
      "-o",
      "APT::Sandbox::User=root",
      "install",
      "--no-download",
      ...PACKAGES,
    ],
    storage,
  );
  await buildahRun(["commit", "--quiet", ctr, tag], storage);
  await buildahRun(["rm", ctr], storage);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run the benchmark as root");
  const rootfs = await debianRootfs({ suite: "bookworm" });
  const scratch = await fs.mkdtemp(
    path.join(process.env.PARTICLE_TEST_SCRATCH ?? "/var/tmp", "particle-bench-apt-layer-"),
  );
  const d = (name: string) => path.join(scratch, name);
  try {
    console.log(
      `apt-layer benchmark on ${os.cpus().length} cores: install ${PACKAGES.join(" ")} on Debian bookworm minbase, ${RUNS} runs each, median`,
    );
    const store = await openStore(d("store"), { create: true, runDir: d("run") });
    const ctx: AptLayerContext = { store, stateDir: d("state"), cacheDir: d("cache") };
    const aptCache = path.join(d("cache"), "apt");
    await importTree(ctx, { source: rootfs, target: "bench:base" });
    // Warm-up: fills apt's lists and .debs (shared by every contender below), not measured.
    await layerPackages(ctx, { base: "bench:base", target: "bench:warm", install: PACKAGES });

    // buildah's base: the same rootfs, imported into a private buildah storage (not measured).
    const storage = d("buildah");
    const baseCtr = await buildahRun(["from", "scratch"], storage);
    const mnt = await buildahRun(["mount", baseCtr], storage);
    await run("cp", ["-a", `${rootfs}/.`, mnt]);
    await buildahRun(["umount", baseCtr], storage);
    await buildahRun(["commit", "--quiet", baseCtr, "bench-base"], storage);

    const times: Record<string, number[]> = {
      floor: [],
      buildah: [],
      "apt-layer": [],
    };
    for (let i = 0; i < RUNS; i++) {
      times.floor?.push(await seconds(() => floor(rootfs, aptCache, d(`floor-${i}`))));
      times.buildah?.push(await seconds(() => buildah(storage, aptCache, `bench-out-${i}`)));
      times["apt-layer"]?.push(
        await seconds(() =>
          layerPackages(ctx, { base: "bench:base", target: `bench:apt-${i}`, install: PACKAGES }),
        ),
      );
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<
      string,
      number
    >;
    const floorS = m.floor as number;
    console.log("\n| contender | median | runs | vs floor |\n| --- | --- | --- | --- |");
    for (const [name, values] of Object.entries(times)) {
      const med = m[name] as number;
      console.log(
        `| ${name} | ${med.toFixed(2)} s | ${values.map((v) => v.toFixed(1)).join(", ")} | ${(med / floorS).toFixed(2)}x |`,
      );
    }
    console.log(
      `\napt-layer vs buildah: ${((m["apt-layer"] as number) / (m.buildah as number)).toFixed(2)}x the time`,
    );
  } finally {
    await run("buildah", [
      "--root",
      d("buildah/root"),
      "--runroot",
      d("buildah/runroot"),
      "rm",
      "--all",
    ]).catch(() => {});
    await unmountAll(scratch, { lazy: true });
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

await main();
