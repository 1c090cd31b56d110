import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pendingTransactions, recoverPending, Transaction } from "../src/index.js";
import { runSnippet } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "journal-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe("transaction journal", () => {
  it("leaves nothing behind once committed", async () => {
    const tx = await Transaction.begin(dir, "demo", { target: "x" });
    await tx.step("one");
    await tx.commit();
    expect(await pendingTransactions(dir)).toEqual([]);
  });

  it.each(["demo/begin", "demo/wrote-temp", "demo/renamed", "demo/commit"])(
    "an operation killed at %s is recovered to the old or new state by the next command",
    async (point) => {
      const target = path.join(dir, "target");
      const temp = path.join(dir, "target.tmp");
      const journal = path.join(dir, "journal");
      await fs.writeFile(target, "old");
      const child = await runSnippet(
        `import { promises as fs } from "node:fs";
const tx = await runtime.Transaction.begin(${JSON.stringify(journal)}, "demo", { temp: ${JSON.stringify(temp)} });
await fs.writeFile(${JSON.stringify(temp)}, "new");
await tx.step("wrote-temp");
await fs.rename(${JSON.stringify(temp)}, ${JSON.stringify(target)});
await tx.step("renamed");
await tx.commit();`,
        { PARTICLE_FAILPOINTS: `${point}=kill` },
      );
      expect(child.signal).toBe("SIGKILL");
      const recovered = await recoverPending(journal, {
        demo: async (record) => {
          // Roll back anything not yet published.
          if (!record.steps.includes("renamed")) await fs.rm(String(record.intent.temp), { force: true });
        },
      });
      expect(recovered).toHaveLength(1);
      const content = await fs.readFile(target, "utf8");
      expect(["old", "new"]).toContain(content);
      expect(content).toBe(point === "demo/commit" || point === "demo/renamed" ? "new" : "old");
      expect((await fs.readdir(dir)).sort()).toEqual(["journal", "target"]);
      expect(await pendingTransactions(journal)).toEqual([]);
    },
  );

  it("refuses to guess about an operation it has no recoverer for", async () => {
    await Transaction.begin(dir, "future-op", {});
    await expect(recoverPending(dir, {})).rejects.toMatchObject({ code: "JOURNAL_UNKNOWN_OP" });
  });

  it("reports a corrupt entry", async () => {
    await fs.writeFile(path.join(dir, "x.json"), JSON.stringify({ kind: "nope" }));
    await expect(pendingTransactions(dir)).rejects.toMatchObject({ code: "JOURNAL_CORRUPT" });
  });
});
