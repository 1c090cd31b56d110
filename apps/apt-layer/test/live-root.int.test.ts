import { promises as fs } from "node:fs";
import path from "node:path";
import { listImagePackages, openStore } from "@particle/apt-layer";
import { run } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostState } from "../../../packages/apt-layer/test/host-state.js";
import { type BootedSystem, bootedSystem, CLI } from "./booted-system.js";

/**
 * `apt-layer --live-install` on the running system's own /: the real CLI, run with Debian 12's Node.js
 * inside a booted Particle deployment (bootc's boot script mounted it; pivot_root made it the root of
 * a private mount namespace). The host's / is never the target: its /etc and dpkg database are
 * compared before and after.
 */

let sys: BootedSystem;
let host: Awaited<ReturnType<typeof hostState>>;

/** nsenter reports a child killed by a signal as 128 + the signal. */
const killedBySigkill = (result: { signal?: string; exitCode?: number }) =>
  result.signal === "SIGKILL" || result.exitCode === 137;
const sh = (script: string) => sys.run(["sh", "-c", script]);
const json = async (args: string[], env: Record<string, string> = {}) => {
  const result = await sys.aptLayer([...args, "--json"], env);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout));
};

/** No session is left (after recovery): no mount of it, no directory, and the package database is the image's again. */
async function expectClean(when = ""): Promise<void> {
  // A status recovers whatever a killed command left, as every live command does first.
  expect((await json(["--live-status"])).active, when).toBe(false);
  const mounts = String((await sys.run(["cat", "/proc/self/mountinfo"])).stdout).split("\n");
  expect(
    mounts.filter((m) => /apt-layer\/live|gen-\d/.test(m)),
    when,
  ).toEqual([]);
  expect((await sh("test -e /run/particle/apt-layer/live")).exitCode).toBe(1);
  expect((await sh("cmp /var/lib/dpkg/status /run/particle/image/var/lib/dpkg/status")).exitCode).toBe(0);
  expect((await sh("command -v jq")).exitCode).not.toBe(0);
}

describe("live overlay on a booted deployment's own /", () => {
  beforeAll(async () => {
    requireRoot();
    host = await hostState();
    sys = await bootedSystem("apt-layer-live-root");
  }, 600_000);
  afterAll(async () => {
    await sys?.destroy();
    if (host) expect(await hostState()).toEqual(host);
  });

  it("refuses-unknown-and-invalid-packages-and-mounts-nothing", async () => {
    const unknown = await sys.aptLayer(["--live-install", "no-such-package-xyz"]);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/^error: package not available: no-such-package-xyz$/m);
    expect(unknown.stderr).toMatch(/^hint: /m);
    const invalid = await sys.aptLayer(["--live-install", "Not_A_Package"]);
    expect(invalid.exitCode).toBe(4);
    expect(invalid.stderr).toContain('"Not_A_Package" is not a valid package name');
    await expectClean();
  });

  it("installs-live-keeps-etc-and-state-dirs-refuses-busy-rollback-then-rolls-back", async () => {
    // What the running system has before: an /etc edit (the deployment's upper) and /usr/local (a /var bind).
    expect((await sh("echo mine > /etc/particle-test && echo local > /usr/local/share/mark")).exitCode).toBe(
      0,
    );
    const installed = await json(["--live-install", "jq"]);
    expect(installed).toMatchObject({ kind: "LiveStatus", active: true, root: "/", installed: ["jq"] });
    expect(installed.changes.added.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["jq", "libjq1"]),
    );
    expect((await sys.run(["jq", "--version"])).stdout).toMatch(/^jq-1\./);
    expect((await sys.run(["dpkg-query", "-s", "jq"])).stdout).toContain("Status: install ok installed");
    expect((await sh("cat /etc/particle-test /usr/local/share/mark")).stdout).toBe("mine\nlocal");
    // Read-only as the image was (a plain apt still cannot write the package database); /etc stays writable.
    expect((await sh("touch /usr/bin/x")).stderr).toContain("Read-only file system");
    expect((await sh("touch /var/lib/dpkg/x")).stderr).toContain("Read-only file system");
    expect((await sh("echo edited > /etc/particle-test")).exitCode).toBe(0);
    // The image itself is untouched: the live changes are on a tmpfs under /run.
    expect((await sh("test -e /run/particle/image/usr/bin/jq")).exitCode).toBe(1);
    expect((await sh("stat -f -c %T /run/particle/apt-layer/live")).stdout).toBe("tmpfs");

    // A program of the live changes still running: rollback refuses and changes nothing.
    const jq = sys.start(["jq", "-n", "input"]);
    await waitFor(
      async () => (await fs.readFile(`/proc/${jq.pid}/comm`, "utf8").catch(() => "")).trim() === "jq",
    );
    const busy = await sys.aptLayer(["--live-rollback"]);
    expect(busy.exitCode).toBe(8);
    expect(busy.stderr).toMatch(
      /^error: files of the live changes are in use: \/usr\/bin\/jq \(pid \d+ jq\)/m,
    );
    expect((await sys.run(["jq", "--version"])).exitCode).toBe(0);
    const exited = new Promise((resolve) => jq.once("exit", resolve));
    jq.kill("SIGKILL");
    await exited;

    const rolledBack = await json(["--live-rollback"]);
    expect(rolledBack).toMatchObject({ active: false, installed: [] });
    await expectClean();
    // The /etc edit made during the session went with it; the one from before is the deployment's.
    expect((await sh("cat /etc/particle-test /usr/local/share/mark")).stdout).toBe("mine\nlocal");
  });

  it("refuses-a-second-live-install-while-one-runs", async () => {
    const first = sys.start(["/usr/bin/node", CLI, "--live-install", "less"]);
    const firstDone = new Promise<number | null>((resolve) => first.once("exit", resolve));
    await waitFor(async () => (await sh("test -d /run/particle/apt-layer/live.lock")).exitCode === 0);
    const second = await sys.aptLayer(["--live-install", "jq"]);
    expect(second.exitCode).toBe(5);
    expect(second.stderr).toMatch(/^error: the live overlay of \/ is locked by process \d+/m);
    expect(await firstDone).toBe(0);
    expect((await json(["--live-status"])).installed).toEqual(["less"]);
  });

  it("commits-the-live-changes-as-a-new-image-staged-for-the-next-boot", async () => {
    await json(["--live-install", "jq"]);
    const committed = await json(["--live-commit", "jq and less, live"]);
    expect(committed).toMatchObject({ kind: "LiveCommit", image: "os:1" });
    expect(committed.deployment.staged).toMatch(/^default\//);
    // The running system keeps its live changes until the reboot into the committed image.
    const status = await json(["--live-status"]);
    expect(status).toMatchObject({ active: true, committed: committed.manifestDigest });
    expect((await sys.run(["jq", "--version"])).exitCode).toBe(0);

    const store = await openStore(path.join(sys.sysroot, "particle/store"), {
      runDir: path.join(sys.dir, "host-run"),
    });
    const image = await store.resolve(committed.manifestDigest);
    expect(JSON.parse(image.labels["dev.particle.apt-layer.requested"] ?? "[]")).toEqual(["jq", "less"]);
    const packages = (await listImagePackages(store, committed.manifestDigest)).packages.map((p) => p.name);
    expect(packages).toEqual(expect.arrayContaining(["jq", "libjq1", "less"]));
    expect(image.layers).toHaveLength(3);
    const layer = image.layers[2];
    if (layer === undefined) throw new Error("no live layer");
    const listing = (await run("unsquashfs", ["-l", "-d", "", store.blobPath(layer.digest)])).stdout.split(
      "\n",
    );
    expect(listing).toEqual(expect.arrayContaining(["/usr/bin/jq", "/usr/bin/less", "/var/lib/dpkg/status"]));
    // Only the trees the overlay covers: /usr, /etc and the package database, nothing else of /var.
    const outside = listing.filter(
      (f) => f !== "" && !/^\/(usr|etc)(\/|$)/.test(f) && !/^\/var(\/lib(\/dpkg(\/.*)?)?)?$/.test(f),
    );
    expect(outside).toEqual([]);
    const staged = JSON.parse(
      await fs.readFile(path.join(sys.sysroot, "particle/deploy/default/staged.json"), "utf8"),
    );
    expect(JSON.stringify(staged)).toContain(committed.deployment.staged.split("/")[1]);

    await json(["--live-rollback"]);
    await expectClean();
  });

  it("recovers-a-clean-state-after-a-kill-at-each-step", async () => {
    const steps = [
      ["apt-layer.live-install/started", false],
      ["apt-layer.live-install/downloaded", false],
      ["apt-layer.live-install/installed", false],
      ["apt-layer.live-install/state-written", true],
      // /usr's overlay mounted, bootc's /usr/local bind not yet back on it.
      ["apt-layer.live-install/tree-mounted", true],
      ["apt-layer.live-install/tree-switched", true],
    ] as const;
    expect((await sh("echo local > /usr/local/share/mark")).exitCode).toBe(0);
    for (const [step, live] of steps) {
      const killed = await sys.aptLayer(["--live-install", "jq"], { PARTICLE_FAILPOINTS: `${step}=kill` });
      expect(killedBySigkill(killed), `${step}: ${killed.exitCode} ${killed.signal} ${killed.stderr}`).toBe(
        true,
      );
      const status = await json(["--live-status"]);
      expect(status.active, step).toBe(live);
      if (live) {
        expect((await sys.run(["jq", "--version"])).exitCode, step).toBe(0);
        expect((await sh("cat /usr/local/share/mark")).stdout, step).toBe("local");
        await json(["--live-rollback"]);
      }
      await expectClean(step);
    }
    await json(["--live-install", "jq"]);
    const killed = await sys.aptLayer(["--live-rollback"], {
      PARTICLE_FAILPOINTS: "apt-layer.live-end/ending=kill",
    });
    expect(killedBySigkill(killed)).toBe(true);
    await expectClean();

    // A commit killed before its image exists leaves the live changes as they were.
    await json(["--live-install", "jq"]);
    const commit = await sys.aptLayer(["--live-commit", "jq"], {
      PARTICLE_FAILPOINTS: "apt-layer.live-commit/layer-created=kill",
    });
    expect(killedBySigkill(commit)).toBe(true);
    expect(await json(["--live-status"])).toMatchObject({ active: true, installed: ["jq"] });
    expect((await sys.run(["jq", "--version"])).exitCode).toBe(0);
    await json(["--live-rollback"]);
    await expectClean();
  });
});

describe("live overlay on a machine that runs no Particle deployment", () => {
  it("refuses-the-machine-root-before-touching-anything", async () => {
    const dir = await scratchDir("apt-layer-live-host");
    const env = {
      PARTICLE_LOGGING_FILE: "",
      PARTICLE_CONFIG_ROOT: path.join(dir, "etc"),
      PARTICLE_PATHS_SYSROOT: path.join(dir, "no-sysroot"),
      PARTICLE_PATHS_STORE: path.join(dir, "no-store"),
      PARTICLE_PATHS_STATE: path.join(dir, "state"),
      PARTICLE_PATHS_RUN: path.join(dir, "run"),
    };
    const mounts = await fs.readFile("/proc/self/mountinfo", "utf8");
    for (const args of [["--live-install", "jq"], ["--live-status"], ["--live-rollback"]]) {
      const result = await execa("node", [path.resolve(__dirname, "../dist/apt-layer.mjs"), ...args], {
        reject: false,
        env,
      });
      expect(result.exitCode).toBe(9);
      expect(result.stderr).toMatch(
        /^error: a live overlay on the running system's \/ needs a booted Particle deployment$/m,
      );
      expect(result.stderr).toMatch(/^hint: .*--root DIR/m);
    }
    expect(await fs.readFile("/proc/self/mountinfo", "utf8")).toBe(mounts);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
