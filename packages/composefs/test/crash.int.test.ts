import { promises as fs } from "node:fs";
import path from "node:path";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { type Descriptor, Store } from "../src/index.js";
import { runStoreOp } from "./support/child.js";

beforeAll(() => requireRoot());

interface Fixture {
  readonly store: Store;
  readonly runDir: string;
  readonly tree: string;
  readonly layers: Descriptor[];
  readonly v1: string;
  readonly v2: string;
}

/** A store where app:latest moved v1 → v2 (v1 in history), plus a tag to remove and an unreferenced blob. */
async function fixture(name: string): Promise<Fixture> {
  const dir = await scratchDir(name);
  const runDir = path.join(dir, "run");
  const store = await Store.open(path.join(dir, "store"), { create: true, runDir });
  const layers: Descriptor[] = [];
  for (const n of [1, 2, 3]) {
    const tree = path.join(dir, `tree${n}`);
    await fs.mkdir(tree);
    await fs.writeFile(path.join(tree, "file"), `content ${n}\n`);
    layers.push(await store.createLayer(tree));
  }
  const v1 = (await store.commitImage({ name: "app", layers: layers.slice(0, 1) })).manifestDigest;
  const v2 = (await store.commitImage({ name: "app", layers: layers.slice(0, 2) })).manifestDigest;
  await store.commitImage({ name: "old", layers: layers.slice(2, 3) });
  const tree = path.join(dir, "tree-new");
  await fs.mkdir(tree);
  await fs.writeFile(path.join(tree, "file"), "new\n");
  return { store, runDir, tree, layers, v1, v2 };
}

/** The invariants after any crash: every blob matches, every tag and history entry is a complete image. */
async function expectConsistent(store: Store): Promise<void> {
  const report = await store.verify();
  expect(report.affected).toEqual([]);
  expect(report.ok).toBe(true);
  for (const image of await store.list()) {
    for (const layer of image.layers) await fs.access(store.blobPath(layer.digest));
  }
}

/** The next writer recovers: no journal entry and no staging file is left. */
async function expectRecovered(store: Store): Promise<void> {
  await store.cleanup();
  expect((await store.verify()).pendingTransactions).toBe(0);
  expect(await fs.readdir(path.join(store.root, ".particle/tmp"))).toEqual([]);
  await expectConsistent(store);
}

const cases: {
  op: string;
  steps: string[];
  call: (f: Fixture) => [string, unknown[]];
  check: (f: Fixture) => Promise<void>;
}[] = [
  {
    op: "store.create",
    steps: ["built", "hashed", "begin", "published", "commit"],
    call: (f) => ["createLayer", [f.tree]],
    check: async () => {},
  },
  {
    op: "store.commit",
    steps: ["begin", "config-written", "manifest-written", "index-updated", "commit"],
    call: (f) => ["commitImage", [{ name: "app", layers: f.layers }]],
    check: async (f) => {
      const current = (await f.store.resolve("app")).manifestDigest;
      const history = await f.store.history("app");
      if (current === f.v2) expect(history.previous.map((h) => h.manifestDigest)).toEqual([f.v1]);
      else expect(history.previous.map((h) => h.manifestDigest)).toEqual([f.v2, f.v1]);
    },
  },
  {
    op: "store.rollback",
    steps: ["begin", "index-updated", "commit"],
    call: () => ["rollback", ["app"]],
    check: async (f) => {
      expect([f.v1, f.v2]).toContain((await f.store.resolve("app")).manifestDigest);
    },
  },
  {
    op: "store.remove",
    steps: ["begin", "index-updated", "commit"],
    call: () => ["remove", ["old"]],
    check: async (f) => {
      expect((await f.store.list()).map((i) => i.name)).toContain("app");
    },
  },
  {
    op: "store.gc",
    steps: ["begin", "history-pruned", "swept", "commit"],
    call: () => ["gc", [{ keepHistory: 0, minAgeMs: 0 }]],
    check: async (f) => {
      expect((await f.store.resolve("app")).manifestDigest).toBe(f.v2);
    },
  },
];

describe("kill -9 at every step", () => {
  for (const c of cases) {
    for (const step of c.steps) {
      it(`${c.op}/${step}-leaves-a-consistent-store`, async () => {
        const f = await fixture(`cfs-kill-${c.op}-${step}`);
        const [method, args] = c.call(f);
        const result = await runStoreOp(f.store.root, f.runDir, method, args, `${c.op}/${step}=kill`);
        expect(result.signal, result.stderr).toBe("SIGKILL");
        await expectConsistent(f.store);
        await c.check(f);
        await expectRecovered(f.store);
        await c.check(f);
      });
    }
  }

  it("a-gc-killed-mid-sweep-finishes-on-the-next-write", async () => {
    const f = await fixture("cfs-kill-gc-finish");
    const result = await runStoreOp(
      f.store.root,
      f.runDir,
      "gc",
      [{ keepHistory: 0, minAgeMs: 0 }],
      "store.gc/history-pruned=kill",
    );
    expect(result.signal).toBe("SIGKILL");
    expect((await f.store.verify()).blobs.unreferenced).toBeGreaterThan(0);
    await f.store.cleanup();
    expect((await f.store.verify()).blobs.unreferenced).toBe(0);
  });

  it("a-layer-builds-while-another-writer-holds-the-lock-and-publishes-after-it", async () => {
    const f = await fixture("cfs-lock-build");
    const lockDir = path.join(f.store.root, ".particle/lock");
    await fs.mkdir(lockDir);
    await fs.writeFile(path.join(lockDir, "owner"), JSON.stringify(await ownerOf(process.ppid)));
    const creating = f.store.createLayer(f.tree);
    const tmp = path.join(f.store.root, ".particle/tmp");
    // The build runs without the lock: its staging file appears while the lock is held.
    for (let i = 0; i < 200 && (await fs.readdir(tmp)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await fs.readdir(tmp)).length).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    await fs.rm(lockDir, { recursive: true });
    const layer = await creating;
    await fs.access(f.store.blobPath(layer.digest));
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it("staging-files-of-dead-processes-are-removed-by-the-next-writer", async () => {
    const f = await fixture("cfs-staging");
    const tmp = path.join(f.store.root, ".particle/tmp");
    const dead = path.join(tmp, "blob-999999999-abcdef");
    const live = path.join(tmp, `blob-${process.ppid}-abcdef`);
    await fs.writeFile(dead, "partial");
    await fs.writeFile(live, "in progress");
    await f.store.cleanup();
    expect((await fs.readdir(tmp)).sort()).toEqual([path.basename(live)]);
  });

  it("a-second-writer-fails-with-LOCK_HELD-naming-the-holder", async () => {
    const f = await fixture("cfs-lock");
    const lockDir = path.join(f.store.root, ".particle/lock");
    await fs.mkdir(lockDir);
    // A live holder: this test process's parent (the vitest worker's parent is alive for the whole run).
    await fs.writeFile(path.join(lockDir, "owner"), JSON.stringify(await ownerOf(process.ppid)));
    const result = await runStoreOp(f.store.root, f.runDir, "remove", ["old"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/LOCK_HELD|locked by process/);
    await fs.rm(lockDir, { recursive: true });
    // Readers never take the lock.
    expect((await f.store.list()).length).toBe(2);
  });

  it("a-writer-with-a-lock-timeout-waits-for-the-holder", async () => {
    const f = await fixture("cfs-lock-wait");
    const lockDir = path.join(f.store.root, ".particle/lock");
    await fs.mkdir(lockDir);
    await fs.writeFile(path.join(lockDir, "owner"), JSON.stringify(await ownerOf(process.ppid)));
    const patient = await Store.open(f.store.root, { runDir: f.runDir, lockTimeoutMs: 30_000 });
    let done = false;
    const removal = patient.remove("old").then((r) => {
      done = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(done).toBe(false);
    await fs.rm(lockDir, { recursive: true });
    expect((await removal).removed).toHaveLength(1);
  });
});

async function ownerOf(pid: number): Promise<Record<string, unknown>> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
  return {
    pid,
    startTime: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19],
    command: "test holder",
    purpose: "test",
    since: new Date().toISOString(),
  };
}
