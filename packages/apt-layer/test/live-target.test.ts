import { describe, expect, it } from "vitest";
import { runningSystemTrees, sessionPaths } from "../src/live/target.js";

const system = {
  image: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
  name: "os:1",
  etc: ["/sysroot/particle/deploy/default/abc-0/etc/upper", "/run/particle/image/etc"],
  runDir: "/run/particle",
};

describe("live overlay targets", () => {
  it("covers-usr-etc-and-the-package-database-of-a-running-system-and-opt-only-when-the-image-owns-it", () => {
    // Read-only as the image's trees were (a plain apt still finds the package database read-only); /etc stays writable.
    expect(runningSystemTrees(system, false)).toEqual([
      { path: "usr", readOnly: true },
      { path: "etc", lower: system.etc },
      { path: "var/lib/dpkg", readOnly: true },
    ]);
    expect(runningSystemTrees(system, true).map((t) => t.path)).toEqual([
      "usr",
      "opt",
      "etc",
      "var/lib/dpkg",
    ]);
  });

  it("lays-out-a-generation-as-one-layer-tree", () => {
    const p = sessionPaths("/run/particle/apt-layer/live");
    expect(p.upper(2, "var/lib/dpkg")).toBe("/run/particle/apt-layer/live/gen-2/upper/var/lib/dpkg");
    expect(p.upper(2, ".")).toBe("/run/particle/apt-layer/live/gen-2/upper");
    // Work directories sit beside the uppers (same filesystem), never inside the layer tree.
    expect(p.work(2, 0)).toBe("/run/particle/apt-layer/live/gen-2/work/0");
    expect(p.lock).toBe("/run/particle/apt-layer/live.lock");
  });
});
