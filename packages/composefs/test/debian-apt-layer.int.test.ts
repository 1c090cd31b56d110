import { promises as fs } from "node:fs";
import path from "node:path";
import { bindMount, mount, mountOverlay, mountsBelow, run, sha256File, unmount } from "@particle/runtime";
import { debianRootfs, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { scratchStore } from "./support/store.js";
import { describeTree, diffTrees } from "./support/tree.js";

beforeAll(() => requireRoot());

/** Runs a command inside the chroot, with /proc and /dev mounted only inside the scratch tree. */
async function inChroot(root: string, args: string[]): Promise<void> {
  await run("chroot", [root, ...args], {
    env: { DEBIAN_FRONTEND: "noninteractive", PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8" },
    timeoutMs: 600_000,
  });
}

describe("a layer from an apt-get install", () => {
  it("stacked-on-its-base-reproduces-the-installed-tree-exactly", async () => {
    // Bookworm's iputils-ping sets a file capability on ping, which this test needs in the layer.
    const rootfs = await debianRootfs({ suite: "bookworm" });
    const dir = await scratchDir("cfs-debian");
    const store = await scratchStore(dir);
    const base = await store.createLayer(rootfs);

    const upper = path.join(dir, "upper");
    const work = path.join(dir, "work");
    const merged = path.join(dir, "merged");
    for (const d of [upper, work, merged]) await fs.mkdir(d);
    await mountOverlay({ lower: [rootfs], upper, work, target: merged });
    try {
      await mount({ source: "proc", target: path.join(merged, "proc"), type: "proc" });
      await bindMount("/dev", path.join(merged, "dev"));
      await fs.copyFile("/etc/resolv.conf", path.join(merged, "etc/resolv.conf"));
      await inChroot(merged, ["apt-get", "update", "-q"]);
      // iputils-ping's postinst sets cap_net_raw on ping with setcap (libcap2-bin, a Recommends).
      await inChroot(merged, ["apt-get", "install", "-y", "-q", "iputils-ping"]);
      await inChroot(merged, ["apt-get", "clean"]);
      // Deletions of base files, so that the upper holds whiteouts and an opaque-worthy change.
      await inChroot(merged, ["rm", "-rf", "/usr/share/doc/apt", "/etc/issue.net", "/var/lib/apt/lists"]);
      await inChroot(merged, ["mkdir", "/var/lib/apt/lists"]);
    } finally {
      for (const m of await mountsBelow(merged)) if (m.mountPoint !== merged) await unmount(m.mountPoint);
      await unmount(merged);
    }

    const top = await store.createLayer(upper);
    await store.commitImage({
      name: "debian/ping",
      layers: [base, top],
      builtBy: "debian-apt-layer.int.test",
    });

    await mountOverlay({ lower: [rootfs], upper, work, target: merged, extra: ["ro"] });
    const expected = await describeTree(merged);
    await unmount(merged);
    const target = path.join(dir, "stacked");
    await fs.mkdir(target);
    await store.mount("debian/ping", target);
    const actual = await describeTree(target);
    await store.unmount(target);

    expect(diffTrees(expected, actual)).toEqual([]);
    expect(actual.size).toBeGreaterThan(5000);
    const ping = actual.get("usr/bin/ping");
    expect(ping?.type).toBe("file");
    expect(ping?.xattrs["security.capability"]).toBeDefined();
    expect(actual.has("usr/share/doc/apt")).toBe(false);
    expect(actual.has("etc/issue.net")).toBe(false);
    expect(actual.get("var/lib/dpkg/status")?.sha256).not.toBe(
      await sha256File(path.join(rootfs, "var/lib/dpkg/status")),
    );
    expect((await store.verify()).ok).toBe(true);
  });
});
