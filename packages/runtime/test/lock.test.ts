import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, withLock } from "../src/index.js";
import { runSnippet } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lock-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe("acquireLock", () => {
  it("names the live holder when another process has the lock", async () => {
    const lockDir = path.join(dir, "store.lock");
    const holder = runSnippet(
      `await runtime.acquireLock(${JSON.stringify(lockDir)}, { purpose: "the store" }); console.log("held"); setInterval(() => {}, 1000);`,
    );
    await new Promise<void>((resolve) => holder.stdout?.on("data", () => resolve()));
    const error = await acquireLock(lockDir, { purpose: "the image store", timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "LOCK_HELD", exitCode: 5, context: { pid: holder.pid } });
    expect((error as Error).message).toMatch(
      new RegExp(`the image store is locked by process ${holder.pid}`),
    );
    holder.kill("SIGKILL");
    await holder;
    // The holder died without releasing: the lock is taken over.
    const lock = await acquireLock(lockDir, { purpose: "the image store" });
    await lock.release();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("waits for a holder that releases within the timeout", async () => {
    const lockDir = path.join(dir, "l");
    const first = await acquireLock(lockDir, { purpose: "p" });
    setTimeout(() => void first.release(), 150);
    const second = await acquireLock(lockDir, { purpose: "p", timeoutMs: 5_000 });
    await second.release();
  });

  it("is re-entrant within a process and released by the outermost holder", async () => {
    const lockDir = path.join(dir, "l");
    await withLock(lockDir, { purpose: "p" }, async () => {
      await withLock(lockDir, { purpose: "p" }, async () => undefined);
      expect(await fs.readdir(dir)).toEqual(["l"]);
    });
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("serializes many competing processes", async () => {
    const lockDir = path.join(dir, "l");
    const counter = path.join(dir, "counter");
    await fs.writeFile(counter, "0");
    const code = `import { readFileSync, writeFileSync } from "node:fs";
for (let i = 0; i < 20; i++) {
  await runtime.withLock(${JSON.stringify(lockDir)}, { purpose: "p", timeoutMs: 60000 }, async () => {
    const n = Number(readFileSync(${JSON.stringify(counter)}, "utf8"));
    await new Promise((r) => setTimeout(r, 1));
    writeFileSync(${JSON.stringify(counter)}, String(n + 1));
  });
}`;
    const results = await Promise.all([runSnippet(code), runSnippet(code), runSnippet(code)]);
    for (const r of results) expect(r.exitCode, r.stderr as string).toBe(0);
    expect(await fs.readFile(counter, "utf8")).toBe("60");
  });
});
