import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageOfListFile, planChunks, readPackageOwners } from "../src/index.js";

const temps: string[] = [];
afterEach(async () => {
  for (const d of temps.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

const files = (list: [string, number][]) => list.map(([p, size]) => ({ path: p, size, directory: size < 0 }));

describe("chunk planning", () => {
  const tree = files([
    ["usr", -1],
    ["usr/bin", -1],
    ["usr/bin/bash", 1000],
    ["usr/bin/ls", 100],
    ["usr/lib", -1],
    ["usr/lib/libc.so", 2000],
    ["usr/share/a", 5],
    ["usr/share/b", 6],
    ["var/lib/dpkg/status", 50],
  ]);
  const owners = new Map([
    ["usr/bin/bash", "bash"],
    ["usr/bin/ls", "coreutils"],
    ["usr/lib/libc.so", "libc6"],
    ["usr/share/a", "pkg-a"],
    ["usr/share/b", "pkg-b"],
  ]);

  it("gives each package its own layer when the budget allows, the rest in a final layer", () => {
    const plan = planChunks(tree, owners, 10);
    expect(plan.map((l) => l.packages)).toEqual([
      ["libc6"],
      ["bash"],
      ["coreutils"],
      ["pkg-b"],
      ["pkg-a"],
      [],
    ]);
    expect(plan[1]?.paths).toEqual(["usr", "usr/bin", "usr/bin/bash"]);
    expect(plan.at(-1)?.paths).toEqual(["usr", "usr/bin", "usr/lib", "var/lib/dpkg/status"]);
  });

  it("keeps within max-layers, biggest packages alone, and puts every file in exactly one layer", () => {
    const plan = planChunks(tree, owners, 4);
    expect(plan.length).toBeLessThanOrEqual(4);
    expect(plan[0]?.packages).toEqual(["libc6"]);
    const seen = plan.flatMap((l) => l.paths.filter((p) => !tree.find((f) => f.path === p)?.directory));
    expect(seen.sort()).toEqual(
      tree
        .filter((f) => !f.directory)
        .map((f) => f.path)
        .sort(),
    );
  });

  it("keeps a package in the same layer when another package grows", () => {
    const grown = tree.map((f) => (f.path === "usr/share/b" ? { ...f, size: 7 } : f));
    const before = planChunks(tree, owners, 4);
    const after = planChunks(grown, owners, 4);
    expect(after.map((l) => l.packages)).toEqual(before.map((l) => l.packages));
  });

  it("refuses a budget below two layers", () => {
    expect(() => planChunks(tree, owners, 1)).toThrow(expect.objectContaining({ code: "TOO_MANY_LAYERS" }));
  });
});

describe("dpkg ownership", () => {
  it("maps .list paths through merged-/usr symlinks to where the files are", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "oci-dpkg-"));
    temps.push(root);
    await fs.mkdir(path.join(root, "usr/bin"), { recursive: true });
    await fs.mkdir(path.join(root, "var/lib/dpkg/info"), { recursive: true });
    await fs.symlink("usr/bin", path.join(root, "bin"));
    await fs.symlink("/usr/bin", path.join(root, "sbin"));
    await fs.writeFile(
      path.join(root, "var/lib/dpkg/info/coreutils.list"),
      "/.\n/bin\n/bin/ls\n/sbin/chroot\n",
    );
    await fs.writeFile(path.join(root, "var/lib/dpkg/info/libc6:amd64.list"), "/usr/bin/ldd\n/bin/ls\n");
    const owners = await readPackageOwners(root);
    expect(owners.get("usr/bin/ls")).toBe("coreutils");
    expect(owners.get("usr/bin/chroot")).toBe("coreutils");
    expect(owners.get("usr/bin/ldd")).toBe("libc6");
    expect(packageOfListFile("libc6:amd64.list")).toBe("libc6");
  });
});
