import { promises as fs } from "node:fs";
import path from "node:path";
import { scratchDir } from "@particle/test-kit";
import { describe, expect, it } from "vitest";
import { linksToState, lintImage, STATE_DIRS, type StateDir, seedStateDirs } from "../src/index.js";
import { type TreeEntry, writeTree } from "./support/images.js";

const SCRIPT = path.join(import.meta.dirname, "../boot/initramfs-tools/scripts/local-bottom/particle");
const dirOf = (p: string) => STATE_DIRS.find((d) => d.path === p) as StateDir;

/** A tree with `entries` and empty directories `dirs`. */
async function tree(name: string, entries: Record<string, TreeEntry>, dirs: readonly string[] = []) {
  const root = path.join(await scratchDir(name), "root");
  await writeTree(root, entries);
  for (const dir of dirs) await fs.mkdir(path.join(root, dir), { recursive: true });
  return root;
}

const stateLint = async (root: string) => {
  const report = await lintImage(root, { skip: ["kernel", "systemd", "boot-integration"] });
  return report.results.find((r) => r.id === "state-directories");
};

describe("state directories", () => {
  it("the boot script binds the same table as STATE_DIRS", async () => {
    const line = /^for pair in (.+); do$/m.exec(await fs.readFile(SCRIPT, "utf8"))?.[1];
    expect(line?.split(" ")).toEqual(STATE_DIRS.map((d) => `${d.path}:${d.state}`));
  });

  it("a symlink handles a state directory only when it leads to its /var place (ostree's links)", () => {
    expect(linksToState(dirOf("home"), "var/home")).toBe(true);
    expect(linksToState(dirOf("home"), "/var/home")).toBe(true);
    expect(linksToState(dirOf("usr/local"), "../var/usrlocal")).toBe(true);
    expect(linksToState(dirOf("root"), "var/roothome")).toBe(true);
    expect(linksToState(dirOf("root"), "var/root")).toBe(false);
    expect(linksToState(dirOf("usr/local"), "var/usrlocal")).toBe(false);
    expect(linksToState(dirOf("opt"), "/srv")).toBe(false);
  });

  it("state-directories lint: Debian's skeleton and ostree's symlinks pass; packaged files and odd types fail", async () => {
    const debian = await tree(
      "bootc-lint-debian",
      {
        "root/.profile": "skeleton\n",
        "home/user/.bashrc": "seeded\n",
        "usr/local/man": { symlink: "share/man" },
      },
      ["opt", "srv", "mnt", "usr/local/bin", "usr/local/lib/python3/dist-packages"],
    );
    expect(await stateLint(debian)).toMatchObject({ level: "fatal", status: "passed", problems: [] });
    const ostree = await tree("bootc-lint-ostree", {
      home: { symlink: "var/home" },
      root: { symlink: "var/roothome" },
      "usr/local": { symlink: "../var/usrlocal" },
      "opt/.keep-is-a-file": "x",
    });
    expect((await stateLint(ostree))?.problems).toEqual([
      "/opt/.keep-is-a-file is covered at run time by /var/opt, which keeps the first deployment's copy (ship it in /usr/lib or /usr/share)",
    ]);
    const odd = await tree("bootc-lint-odd", {
      home: "a file",
      srv: { symlink: "/data" },
      "usr/local/bin/tool": "#!/bin/sh\n",
    });
    const result = await stateLint(odd);
    expect(result?.status).toBe("failed");
    expect(result?.problems).toEqual([
      "/home is neither a directory nor a symlink to /var/home",
      "/srv is neither a directory nor a symlink to /var/srv",
      "/usr/local/bin/tool is covered at run time by /var/usrlocal, which keeps the first deployment's copy (ship it in /usr/lib or /usr/share)",
    ]);
    expect((await lintImage(odd, { skip: ["kernel", "systemd", "boot-integration"] })).failed).toEqual([
      "state-directories",
    ]);
  });

  it("seeds each /var copy from the image once, keeps the machine's data, and redoes a copy stopped half-way", async () => {
    const image = await tree(
      "bootc-seed-image",
      {
        "root/.profile": "from image 1\n",
        "home/user/.bashrc": "from image 1\n",
        mnt: { symlink: "var/mnt" },
      },
      ["opt", "usr/local/bin"],
    );
    await fs.chmod(path.join(image, "root"), 0o700);
    const varDir = path.join(path.dirname(image), "var");
    await fs.mkdir(varDir);
    // A copy of /opt killed half-way: the next seed starts it again.
    await fs.mkdir(path.join(varDir, ".particle-seed-opt"));
    await fs.writeFile(path.join(varDir, ".particle-seed-opt/partial"), "");
    // Stopped after copying /home, before its rename: no copy appears under its final name.
    process.env.PARTICLE_FAILPOINTS = "bootc.state-dirs/copied=error";
    try {
      await expect(seedStateDirs(varDir, image)).rejects.toMatchObject({ code: "FAILPOINT" });
    } finally {
      delete process.env.PARTICLE_FAILPOINTS;
    }
    expect((await fs.readdir(varDir)).sort()).toEqual([".particle-seed-home", ".particle-seed-opt"]);
    expect(await seedStateDirs(varDir, image)).toEqual(["home", "roothome", "opt", "usrlocal"]);
    expect(await fs.readFile(path.join(varDir, "roothome/.profile"), "utf8")).toBe("from image 1\n");
    expect((await fs.stat(path.join(varDir, "roothome"))).mode & 0o777).toBe(0o700);
    expect(await fs.readdir(path.join(varDir, "opt"))).toEqual([]);
    expect(await fs.readdir(path.join(varDir, "usrlocal"))).toEqual(["bin"]);
    expect((await fs.readdir(varDir)).sort()).toEqual(["home", "opt", "roothome", "usrlocal"]);

    // The machine's data stays; a newer image's start-up files do not overwrite it.
    await fs.writeFile(path.join(varDir, "roothome/.profile"), "edited by root\n");
    await fs.writeFile(path.join(varDir, "home/user/data"), "kept\n");
    await fs.writeFile(path.join(image, "root/.profile"), "from image 2\n");
    expect(await seedStateDirs(varDir, image)).toEqual([]);
    expect(await fs.readFile(path.join(varDir, "roothome/.profile"), "utf8")).toBe("edited by root\n");
    expect(await fs.readFile(path.join(varDir, "home/user/data"), "utf8")).toBe("kept\n");
  });
});
