/**
 * Builds the desktop recipes (recipes/corona.yaml, apex.yaml, bazzite.yaml) for real with the bundled
 * CLI (`apps/apt-layer/dist/apt-layer.mjs compose`) into a scratch store, and measures each build
 * against a peer in the same run:
 * - apt-layer, cold: a fresh store and an empty apt cache (what a user's first build costs,
 *   downloads included);
 * - the floor: `mmdebstrap` of the same base, sources and packages into a directory (the .debs that
 *   the cold build downloaded bound in as apt's cache) + `mksquashfs` of it (zstd-3): no isolation,
 *   no hygiene, no transaction, no store, no files/users/units steps;
 * - apt-layer, warm: a fresh store with the same apt cache (compared with the floor).
 * Per contender it prints wall time, image size (compressed layers), installed size, packages, peak
 * memory and disk I/O; then the memory of the CLIs that use the result (`apt-layer list`,
 * `particle-composefs mount`).
 *
 * How it measures (no cgroup needed, so it works on cgroup v1 and v2 hosts):
 * - peak memory: the process tree (the command and all its descendants, found by PPid in /proc) is
 *   sampled every 250 ms (every 50 ms in the first 2 s); the peak of the sum of their PSS (`/proc/PID/smaps_rollup`, shared pages
 *   divided among the processes that map them) is reported, with the peak of the RSS sum (shared
 *   pages counted once per process) and the largest single process's max RSS (`/usr/bin/time %M`,
 *   exact). Kernel memory and the page cache are not included.
 * - disk I/O: the delta of this process's `/proc/self/io` around the command. The kernel adds a reaped
 *   child's counters (and those of the children it reaped) to its parent's, so this covers the whole
 *   tree. `read_bytes` counts reads that reached the block layer (page-cache hits do not count; reads
 *   of a loop-mounted layer count once, as the filesystem's reads of the loop device);
 *   written = `write_bytes - cancelled_write_bytes` (bytes dirtied that were not deleted before
 *   writeback). A process that escapes the tree (double fork to init) is not counted.
 *
 * Run as root after `pnpm build`, niced on a shared machine:
 *   nice -n 19 node bench/apt-layer/desktop-recipes.mjs [corona|apex|bazzite|all ...]
 * (any other recipe's name works too: `minimal-server` checks the driver in a few minutes).
 * BENCH_PEERS=0 builds with apt-layer only (cold), no floor and no warm run. The scratch directory
 * (under $PARTICLE_TEST_SCRATCH or /var/tmp) needs about 15 GB per recipe and is removed per recipe.
 */
import { spawn } from "node:child_process";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseDpkgStatus } from "../../packages/runtime/dist/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUNDLES = {
  aptLayer: path.join(ROOT, "apps/apt-layer/dist/apt-layer.mjs"),
  composefs: path.join(ROOT, "apps/particle-composefs/dist/particle-composefs.mjs"),
};
// The bundles are copied into the scratch directory first: a rebuild during a long run replaces dist/.
let APT_LAYER = BUNDLES.aptLayer;
let COMPOSEFS = BUNDLES.composefs;
const DESKTOPS = ["corona", "apex", "bazzite"];
const MIRROR = "http://deb.debian.org/debian";
const PEERS = process.env.BENCH_PEERS !== "0";
const SAMPLE_MS = 250;
const BUILD_DEB = path.join(ROOT, "packaging/deb/build-deb.mjs");
// The recipe's YAML is read with apt-layer's own parser (the bench has no dependencies of its own).
const YAML = createRequire(path.join(ROOT, "packages/apt-layer/package.json"))("yaml");

const MiB = 1024 * 1024;
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const gib = (bytes) => `${(bytes / 1024 / MiB).toFixed(2)} GiB`;

function ioCounters() {
  const lines = readFileSync("/proc/self/io", "utf8").trim().split("\n");
  return Object.fromEntries(lines.map((l) => l.split(": ")).map(([k, v]) => [k, Number(v)]));
}

/** Every PID whose parent chain leads to `root` (including root), from /proc. */
function descendants(root) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // The process exited while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** Sum of PSS and RSS (bytes) over a process tree now, and the biggest processes by PSS. */
function treeMemory(root) {
  let pss = 0;
  let rss = 0;
  const processes = [];
  for (const pid of descendants(root)) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const own = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      pss += own;
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      processes.push({ comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim(), pss: own });
    } catch {
      // Exited, or a kernel thread without an address space.
    }
  }
  const top = processes.sort((a, b) => b.pss - a.pss).slice(0, 3);
  return { pss, rss, top: top.map((p) => `${p.comm} ${mib(p.pss)}`).join(", ") };
}

/**
 * Runs a command (argument vector) and measures it: wall time, peak PSS/RSS of its process tree,
 * the largest process's max RSS, disk bytes read and written. Throws with its stderr tail on failure.
 */
async function measure(argv, { env, quiet = true } = {}) {
  const timeFile = path.join(os.tmpdir(), `particle-bench-time-${process.pid}-${Date.now()}`);
  const before = ioCounters();
  const start = process.hrtime.bigint();
  const child = spawn("/usr/bin/time", ["-f", "%M", "-o", timeFile, ...argv], {
    env: env ?? process.env,
    stdio: ["ignore", "pipe", quiet ? "pipe" : "inherit"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  let peakPss = 0;
  let peakRss = 0;
  let peakTop = "";
  const sample = () => {
    const m = treeMemory(child.pid);
    if (m.pss > peakPss) peakTop = m.top;
    peakPss = Math.max(peakPss, m.pss);
    peakRss = Math.max(peakRss, m.rss);
  };
  // Every 50 ms for the first 2 s (short CLI runs), then every SAMPLE_MS.
  let samples = 0;
  let timer;
  const tick = () => {
    sample();
    samples++;
    timer = setTimeout(tick, samples < 40 ? 50 : SAMPLE_MS);
  };
  timer = setTimeout(tick, 0);
  const code = await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (c, signal) => resolve(c ?? signal));
  });
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = ioCounters();
  const maxRss =
    Number((await fs.readFile(timeFile, "utf8").catch(() => "0")).trim().split("\n").pop()) * 1024;
  await fs.rm(timeFile, { force: true });
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}):\n${stderr}`);
  return {
    stdout,
    seconds,
    peakPss,
    peakRss,
    peakTop,
    maxRss,
    read: after.read_bytes - before.read_bytes,
    written:
      after.write_bytes - before.write_bytes - (after.cancelled_write_bytes - before.cancelled_write_bytes),
  };
}

/** Adds measurements of consecutive steps: times and bytes add up, peaks take the maximum. */
function combine(...parts) {
  return {
    seconds: parts.reduce((s, p) => s + p.seconds, 0),
    peakPss: Math.max(...parts.map((p) => p.peakPss)),
    peakRss: Math.max(...parts.map((p) => p.peakRss)),
    peakTop: parts.reduce((a, b) => (b.peakPss > a.peakPss ? b : a)).peakTop,
    maxRss: Math.max(...parts.map((p) => p.maxRss)),
    read: parts.reduce((s, p) => s + p.read, 0),
    written: parts.reduce((s, p) => s + p.written, 0),
  };
}

async function json(argv, env) {
  return JSON.parse((await measure(argv, { env })).stdout);
}

/** Bytes of the files in a tree (apparent sizes, hard links once), the same measure for every contender. */
async function installedSize(dir) {
  // No -x: on an overlay mount, files report their layer's device.
  const { stdout } = await measure(["du", "-s", "-b", dir]);
  return Number(stdout.split("\t")[0]);
}

/** The CLI environment of one apt-layer "installation" inside the scratch directory. */
function cliEnv(dir, cache) {
  return {
    ...process.env,
    PARTICLE_LOGGING_FILE: "",
    PARTICLE_CONFIG_ROOT: path.join(dir, "etc"),
    PARTICLE_PATHS_STORE: path.join(dir, "store"),
    PARTICLE_PATHS_STATE: path.join(dir, "state"),
    PARTICLE_PATHS_RUN: path.join(dir, "run"),
    PARTICLE_PATHS_CACHE: cache,
    PARTICLE_PATHS_LOG: path.join(dir, "log"),
  };
}

/** apt-layer compose of a recipe; the result's sizes and package count read back through the CLIs. */
async function aptLayer(recipeFile, image, dir, cache, extra) {
  const env = cliEnv(dir, cache);
  const build = await measure(["node", APT_LAYER, "compose", recipeFile, ...extra, "--json"], {
    env,
    quiet: false,
  });
  const info = await json(["node", COMPOSEFS, "info", image, "--json"], env);
  const list = await json(["node", APT_LAYER, "list", image, "--json"], env);
  const view = path.join(dir, "view");
  await fs.mkdir(view, { recursive: true });
  const mount = await measure(["node", COMPOSEFS, "mount", image, view], { env });
  let installed;
  try {
    installed = await installedSize(view);
  } finally {
    await measure(["node", COMPOSEFS, "unmount", view], { env });
  }
  const listRun = await measure(["node", APT_LAYER, "list", image, "--json"], { env });
  return {
    ...build,
    imageSize: info.layers.reduce((s, l) => s + l.size, 0),
    layers: info.layers.length,
    installed,
    packages: list.packages.map((p) => `${p.name}:${p.architecture}`),
    tools: { "apt-layer list": listRun, "particle-composefs mount": mount },
  };
}

/** mmdebstrap's view of a recipe: the same base, apt sources, architectures, debconf and packages. */
function floorArgs(recipe, target, archives, debconfFile) {
  const boot = recipe.base.bootstrap;
  const sources = [
    `deb ${boot.mirror ?? MIRROR} ${boot.suite} ${(boot.components ?? ["main"]).join(" ")}`,
    ...(recipe.sources ?? []).flatMap((s) =>
      s.suites.flatMap((suite) => s.uris.map((uri) => `deb ${uri} ${suite} ${s.components.join(" ")}`)),
    ),
  ];
  const args = [
    `--variant=${boot.variant ?? "minbase"}`,
    `--include=${recipe.packages.join(",")}`,
    "--quiet",
    // apt-layer installs Recommends, as apt does by default; mmdebstrap does not unless told.
    '--aptopt=APT::Install-Recommends "true"',
    // apt's cache: the .debs apt-layer downloaded, bound in and unbound before mmdebstrap's cleanup.
    `--setup-hook=mkdir -p "$1/var/cache/apt/archives" && mount --bind ${archives} "$1/var/cache/apt/archives"`,
    `--customize-hook=umount "$1/var/cache/apt/archives"`,
  ];
  if (recipe.architectures?.length) args.push(`--architectures=amd64,${recipe.architectures.join(",")}`);
  if (debconfFile) args.push(`--essential-hook=chroot "$1" debconf-set-selections < ${debconfFile}`);
  return ["--mode=root", ...args, "--", boot.suite, target, ...sources];
}

async function floor(recipe, dir, archives) {
  const tree = path.join(dir, "rootfs");
  await fs.mkdir(dir, { recursive: true });
  let debconf;
  if (recipe.debconf?.length) {
    debconf = path.join(dir, "debconf.txt");
    await fs.writeFile(debconf, `${recipe.debconf.join("\n")}\n`);
  }
  const env = { ...process.env, SOURCE_DATE_EPOCH: "1700000000" };
  const build = await measure(["mmdebstrap", ...floorArgs(recipe, tree, archives, debconf)], { env });
  const squash = await measure([
    "mksquashfs",
    tree,
    path.join(dir, "rootfs.sqfs"),
    "-comp",
    "zstd",
    "-Xcompression-level",
    "3",
    "-noappend",
    "-quiet",
  ]);
  const status = await fs.readFile(path.join(tree, "var/lib/dpkg/status"), "utf8");
  return {
    ...combine(build, squash),
    imageSize: (await fs.stat(path.join(dir, "rootfs.sqfs"))).size,
    layers: 1,
    installed: await installedSize(tree),
    // The same reading of dpkg's database as apt-layer's package list: @particle/runtime's.
    packages: parseDpkgStatus(status).map((p) => `${p.name}:${p.architecture}`),
  };
}

/** Unmounts whatever a failed run left under dir (deepest first), before it is removed. */
async function unmountUnder(dir) {
  const targets = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((t) => t && (t === dir || t.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const t of targets) await measure(["umount", "-l", t]).catch(() => {});
}

function row(name, r) {
  return `| ${name} | ${r.seconds.toFixed(0)} s | ${mib(r.imageSize)} (${r.layers}) | ${gib(r.installed)} | ${r.packages.length} | ${mib(r.peakPss)} / ${mib(r.peakRss)} / ${mib(r.maxRss)} | ${gib(r.read)} / ${gib(r.written)} |`;
}

async function benchRecipe(name, scratch) {
  const file = path.join(ROOT, "recipes", `${name}.yaml`);
  const recipe = YAML.parse(await fs.readFile(file, "utf8"));
  // A bootable recipe (minimal-server) installs the particle-os .deb built from this tree; the floor
  // installs only the recipe's own packages, so compare such a recipe's times with care.
  const extra = recipe.bootable
    ? ["--particle-deb", (await measure(["node", BUILD_DEB, "--out", scratch], {})).stdout.trim()]
    : [];
  const image = `${recipe.metadata.name}:${recipe.metadata.tag}`;
  const dir = await fs.mkdtemp(path.join(scratch, `${name}-`));
  const cache = path.join(dir, "cache");
  try {
    console.log(`\n## ${name} (${image})\n`);
    const results = {};
    results["apt-layer, cold"] = await aptLayer(file, image, path.join(dir, "cold"), cache, extra);
    if (PEERS) {
      results.floor = await floor(
        recipe,
        path.join(dir, "floor"),
        path.join(cache, "apt-layer/apt/archives"),
      );
      results["apt-layer, warm"] = await aptLayer(file, image, path.join(dir, "warm"), cache, extra);
    }
    console.log(
      "| contender | wall | image (layers) | installed | packages | peak memory: PSS sum / RSS sum / largest process | disk read / written |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    for (const [contender, r] of Object.entries(results)) console.log(row(contender, r));
    console.log("\nBiggest processes at each contender's memory peak (PSS):\n");
    for (const [contender, r] of Object.entries(results)) console.log(`- ${contender}: ${r.peakTop}`);
    const floorRun = results.floor;
    const warm = results["apt-layer, warm"];
    if (floorRun && warm) {
      const ratio = (key) => (warm[key] / floorRun[key]).toFixed(2);
      const only = (a, b) => a.packages.filter((p) => !b.packages.includes(p)).join(" ") || "none";
      console.log(
        `\nPackages only in the floor: ${only(floorRun, warm)}; only in apt-layer: ${only(warm, floorRun)}`,
      );
      console.log(
        `\napt-layer (warm) / floor: time ${ratio("seconds")}x, image ${ratio("imageSize")}x, peak PSS ${ratio("peakPss")}x, read ${ratio("read")}x, written ${ratio("written")}x`,
      );
    }
    console.log("\nThe CLIs on the built image (one run each):\n");
    console.log("| command | wall | PSS sum / RSS sum / largest process |\n| --- | --- | --- |");
    for (const [command, r] of Object.entries(results["apt-layer, cold"].tools))
      console.log(
        `| ${command} | ${r.seconds.toFixed(2)} s | ${mib(r.peakPss)} / ${mib(r.peakRss)} / ${mib(r.maxRss)} |`,
      );
    return results;
  } finally {
    await unmountUnder(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error("run the benchmark as root");
  const asked = process.argv.slice(2);
  const names = asked.length === 0 || asked.includes("all") ? DESKTOPS : asked;
  // Any recipe in recipes/ works (minimal-server is a quick check of the driver itself).
  for (const name of names)
    await fs.access(path.join(ROOT, "recipes", `${name}.yaml`)).catch(() => {
      throw new Error(`no recipes/${name}.yaml: use ${DESKTOPS.join(", ")}, all, or another recipe's name`);
    });
  const scratch = await fs.mkdtemp(
    path.join(process.env.PARTICLE_TEST_SCRATCH ?? "/var/tmp", "particle-bench-desktop-"),
  );
  const bin = path.join(scratch, "bin");
  await fs.mkdir(bin);
  for (const bundle of Object.values(BUNDLES))
    await fs.copyFile(bundle, path.join(bin, path.basename(bundle))).catch(() => {
      throw new Error(`${bundle} is missing: run 'pnpm build' first`);
    });
  APT_LAYER = path.join(bin, path.basename(BUNDLES.aptLayer));
  COMPOSEFS = path.join(bin, path.basename(BUNDLES.composefs));
  console.log(
    `# Desktop recipes built for real, ${new Date().toISOString()}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}, nice ${os.getPriority()}`,
  );
  try {
    let failed = 0;
    for (const name of names)
      await benchRecipe(name, scratch).catch((error) => {
        failed++;
        console.log(`\n${name}: FAILED\n${error instanceof Error ? error.message : String(error)}`);
      });
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

await main();
