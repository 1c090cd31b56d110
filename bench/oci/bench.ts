/**
 * Benchmark of @particle/oci in one run, on the same Debian bookworm minbase image:
 * - export (store → OCI layout, gzip) against `umoci repack` of the same tree;
 * - import (OCI layout → store, native squashfs layer) against `umoci unpack` (+ mksquashfs, to
 *   end with the same native layer);
 * - push and pull through a local docker-registry against `skopeo copy` (+ `umoci unpack` for pull);
 * - for two images that differ by one upgraded package: the bytes a pull must fetch with a
 *   package-chunked export against a single-layer export.
 * Run as root: `pnpm bench:oci`. Prints one table; numbers go into packages/oci/README.md.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "../../packages/composefs/src/index.js";
import { exportImage, importImage } from "../../packages/oci/src/index.js";
import { startRegistry } from "../../packages/oci/test/helpers/registry.js";
import { upgradeOnePackage } from "../../packages/oci/test/helpers/upgrade.js";
import { run, unmountAll } from "../../packages/runtime/src/index.js";
import { debianRootfs } from "../../tooling/test-kit/src/rootfs.js";

const ROOT = process.env.BENCH_DIR ?? "/var/tmp/particle-bench-oci";

async function seconds(body: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<void> {
  await unmountAll(ROOT, { lazy: true }).catch(() => []);
  await fs.rm(ROOT, { recursive: true, force: true });
  await fs.mkdir(ROOT, { recursive: true });
  const at = (p: string) => path.join(ROOT, p);
  const work = at("work");
  const rootfs = await debianRootfs({ suite: "bookworm" });
  const store = await Store.open(at("store"), { create: true, runDir: at("run") });
  const base = await store.createLayer(rootfs, { compression: "zstd", level: 3 });
  const created = "2023-11-14T22:13:20Z";
  await store.commitImage({ name: "deb", tag: "1", layers: [base], created });
  const rows: [string, string, string, string][] = [];
  const compare = (what: string, ours: number, peerName: string, peer: number) =>
    rows.push([
      what,
      `${ours.toFixed(2)} s`,
      `${peerName} ${peer.toFixed(2)} s`,
      `${(ours / peer).toFixed(2)}x`,
    ]);

  // Export: store image → OCI layout (gzip), against umoci repack of the same tree.
  const ours = await seconds(() => exportImage(store, "deb:1", `oci:${at("layout")}:1`, { workDir: work }));
  await run("umoci", ["init", "--layout", at("umoci")]);
  await run("umoci", ["new", "--image", `${at("umoci")}:empty`]);
  await run("umoci", ["unpack", "--image", `${at("umoci")}:empty`, at("bundle")]);
  await fs.rm(at("bundle/rootfs"), { recursive: true });
  await run("cp", ["-a", rootfs, at("bundle/rootfs")]);
  const repack = await seconds(() => run("umoci", ["repack", "--image", `${at("umoci")}:1`, at("bundle")]));
  compare("export to an OCI layout (gzip)", ours, "umoci repack", repack);

  // Import: OCI layout → store, against umoci unpack (+ mksquashfs for the same end state).
  const imp = await seconds(() =>
    importImage(store, `oci:${at("layout")}:1`, "imported:1", { workDir: work }),
  );
  const unpack = await seconds(() =>
    run("umoci", ["unpack", "--image", `${at("layout")}:1`, at("unpacked")]),
  );
  const squash = await seconds(() =>
    run("mksquashfs", [
      at("unpacked/rootfs"),
      at("unpacked.sqfs"),
      "-comp",
      "zstd",
      "-Xcompression-level",
      "3",
      "-quiet",
      "-no-progress",
    ]),
  );
  compare("import from an OCI layout", imp, "umoci unpack", unpack);
  compare("import from an OCI layout", imp, "umoci unpack + mksquashfs", unpack + squash);

  // Registry transfer against skopeo copy.
  await fs.mkdir(at("registry"));
  const registry = await startRegistry(at("registry"));
  try {
    const push = await seconds(() =>
      exportImage(store, "deb:1", `docker://${registry.host}/bench/ours:1`, { workDir: work }),
    );
    const skopeoPush = await seconds(() =>
      run("skopeo", [
        "copy",
        "--dest-tls-verify=false",
        `oci:${at("layout")}:1`,
        `docker://${registry.host}/bench/skopeo:1`,
      ]),
    );
    compare("push (export + upload)", push, "skopeo copy oci: → docker://", skopeoPush);
    compare("push (export + upload)", push, "umoci repack + skopeo copy", repack + skopeoPush);
    const other = await Store.open(at("store-pull"), { create: true, runDir: at("run-pull") });
    const pull = await seconds(() =>
      importImage(other, `docker://${registry.host}/bench/ours:1`, "pulled:1", { workDir: work }),
    );
    const skopeoPull = await seconds(async () => {
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        `docker://${registry.host}/bench/skopeo:1`,
        `oci:${at("pulled-layout")}:1`,
      ]);
      await run("umoci", ["unpack", "--image", `${at("pulled-layout")}:1`, at("pulled-bundle")]);
    });
    compare("pull into a store", pull, "skopeo copy + umoci unpack", skopeoPull);
  } finally {
    await registry.stop();
  }

  // Bytes a pull must fetch after one package upgrade.
  const upgraded = await upgradeOnePackage(store, ROOT, "deb:1", "deb:2", "tar");
  const flatten = async (ref: string, name: string) => {
    const mnt = at(`flat-${name}`);
    await fs.mkdir(mnt);
    await store.mount(ref, mnt);
    try {
      const layer = await store.createLayer(mnt, { compression: "zstd", level: 3 });
      await store.commitImage({ name: "flat", tag: name, layers: [layer], created });
    } finally {
      await store.unmount(mnt);
    }
  };
  await flatten("deb:2", "2");
  const fetchBytes = async (a: string, b: string, options: { chunked?: boolean }) => {
    const first = await exportImage(store, a, `oci:${at("chunk-a")}:x`, {
      workDir: work,
      ...options,
      maxLayers: 64,
    });
    const second = await exportImage(store, b, `oci:${at("chunk-b")}:x`, {
      workDir: work,
      ...options,
      maxLayers: 64,
    });
    const have = new Set(first.layers.map((l) => l.digest));
    const total = second.layers.reduce((n, l) => n + l.size, 0);
    const fetch = second.layers.filter((l) => !have.has(l.digest)).reduce((n, l) => n + l.size, 0);
    return { fetch, total, layers: second.layers.length };
  };
  const single = await fetchBytes("deb:1", "flat:2", {});
  const chunked = await fetchBytes("deb:1", "deb:2", { chunked: true });
  const layered = await fetchBytes("deb:1", "deb:2", {});

  console.log(
    `image: Debian bookworm minbase, ${upgraded.layers.length} store layers after upgrading "tar"\n`,
  );
  console.log("| operation | @particle/oci | peer | ratio |\n| --- | --- | --- | --- |");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(
    "\n| export of the upgraded image | layers | image size | a pull of it after the old one fetches |\n| --- | --- | --- | --- |",
  );
  console.log(`| single layer | ${single.layers} | ${mib(single.total)} | ${mib(single.fetch)} |`);
  console.log(
    `| --chunked --max-layers 64 | ${chunked.layers} | ${mib(chunked.total)} | ${mib(chunked.fetch)} (${((chunked.fetch / single.fetch) * 100).toFixed(1)}% of single) |`,
  );
  console.log(
    `| store layers as they are (base + upgrade layer) | ${layered.layers} | ${mib(layered.total)} | ${mib(layered.fetch)} |`,
  );
  await unmountAll(ROOT, { lazy: true });
  await fs.rm(ROOT, { recursive: true, force: true });
}

await main();
