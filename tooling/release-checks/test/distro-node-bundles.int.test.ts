import { promises as fs } from "node:fs";
import path from "node:path";
import { bindMount, mountOverlay, run } from "@particle/runtime";
import { debianRootfs, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";

const APPS = path.resolve(__dirname, "../../../apps");

/** Every bundled CLI binary of the workspace: apps/<app>/package.json "bin" entries. */
async function bundledClis(): Promise<{ name: string; file: string }[]> {
  const clis: { name: string; file: string }[] = [];
  for (const app of (await fs.readdir(APPS)).sort()) {
    const manifest = JSON.parse(await fs.readFile(path.join(APPS, app, "package.json"), "utf8")) as {
      bin?: Record<string, string>;
    };
    for (const [name, rel] of Object.entries(manifest.bin ?? {}))
      clis.push({ name, file: path.join(APPS, app, rel) });
  }
  return clis;
}

beforeAll(requireRoot);

/** The releases whose own nodejs package the CLIs must run on: Debian 12 ships Node 18, Debian 13 Node 20. */
const RELEASES = [
  { suite: "bookworm", node: /^v18\./ },
  { suite: "trixie", node: /^v20\./ },
] as const;

/** A first run builds the rootfs with mmdebstrap (about 90 s idle, 10 minutes at load 35); the cache lock waits 30. */
const ROOTFS_TIMEOUT_MS = 35 * 60_000;

describe.each(RELEASES)("bundled CLIs on $suite's own Node.js", ({ suite, node }) => {
  let base: string;
  beforeAll(async () => {
    base = await debianRootfs({ suite, include: ["nodejs"] });
  }, ROOTFS_TIMEOUT_MS);

  it("run --help and --version with the distribution's nodejs package inside a Debian chroot", async () => {
    const dir = await scratchDir(`node-${suite}`);
    const root = path.join(dir, "root");
    for (const d of ["root", "upper", "work"]) await fs.mkdir(path.join(dir, d));
    await mountOverlay({
      lower: [base],
      upper: path.join(dir, "upper"),
      work: path.join(dir, "work"),
      target: root,
    });
    await bindMount("/proc", path.join(root, "proc"));
    await bindMount("/dev", path.join(root, "dev"));
    const nodeVersion = (await run("chroot", [root, "/usr/bin/node", "--version"])).stdout;
    expect(nodeVersion).toMatch(node);
    const clis = await bundledClis();
    expect(clis.map((c) => c.name)).toContain("particle");
    await fs.mkdir(path.join(root, "opt/particle"), { recursive: true });
    for (const cli of clis) {
      await fs.copyFile(cli.file, path.join(root, "opt/particle", `${cli.name}.mjs`));
      const inside = `/opt/particle/${cli.name}.mjs`;
      const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", PARTICLE_LOGGING_FILE: "" };
      const version = await run("chroot", [root, "/usr/bin/node", inside, "--version"], {
        env,
        replaceEnv: true,
      });
      expect(version.stdout).toMatch(new RegExp(`^${cli.name} \\d+\\.\\d+\\.\\d+`));
      const help = await run("chroot", [root, "/usr/bin/node", inside, "--help"], { env, replaceEnv: true });
      expect(help.stdout).toContain(`Usage: ${cli.name}`);
      expect(help.stderr).toBe("");
    }
  });
});
