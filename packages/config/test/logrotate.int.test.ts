import { promises as fs } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { run } from "@particle/runtime";
import { scratchDir } from "@particle/test-kit";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { rotateLogs } from "../src/index.js";

async function readAll(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    let text: string;
    if (name.endsWith(".zst")) text = (await run("zstd", ["-dc", file])).stdout;
    else if (name.endsWith(".gz")) text = gunzipSync(await fs.readFile(file)).toString("utf8");
    else text = await fs.readFile(file, "utf8");
    lines.push(...text.split("\n").filter(Boolean));
  }
  return lines;
}

// A writer that keeps one descriptor open (like a daemon) and one that reopens per line (like our
// CLIs). Each writes until the stop file appears, then prints how many lines it wrote.
const WRITER = `
const fs = require("node:fs");
const [file, mode, stop] = process.argv.slice(1);
const fd = mode === "held" ? fs.openSync(file, "a") : undefined;
let i = 0;
const tick = () => {
  for (let j = 0; j < 20; j++, i++) {
    const line = mode + "-" + i + "\\n";
    if (fd === undefined) fs.appendFileSync(file, line); else fs.writeSync(fd, line);
  }
  if (fs.existsSync(stop)) { if (fd !== undefined) fs.closeSync(fd); process.stdout.write(String(i)); }
  else setTimeout(tick, 1);
};
tick();
`;

async function grown(file: string): Promise<void> {
  for (;;) {
    const size = await fs.stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("logrotate", () => {
  it.each(["zstd", "gzip"] as const)("loses no line while writers append (%s)", async (compression) => {
    const dir = await scratchDir("logrotate");
    const file = path.join(dir, "particle.log");
    const stop = path.join(dir, ".stop");
    await fs.writeFile(file, "");
    const writers = ["held", "reopen"].map((mode) => execa("node", ["-e", WRITER, file, mode, stop]));
    const options = {
      patterns: [path.join(dir, "*.log")],
      maxSizeBytes: 1,
      maxAgeDays: 0,
      keep: 1000,
      compression,
    };
    let deferred = 0;
    for (let round = 0; round < 5; round++) {
      await grown(file);
      const report = await rotateLogs(options);
      expect(report.rotated).toHaveLength(1);
      deferred += report.deferred.length;
    }
    await fs.writeFile(stop, "");
    const counts = (await Promise.all(writers)).map((w) => Number(w.stdout));
    const final = await rotateLogs(options);
    // The writer holding its descriptor kept a rotated file open, so compression waited for it.
    expect(deferred).toBeGreaterThan(0);
    expect(final.deferred).toEqual([]);
    const lines = await readAll(dir);
    for (const [index, mode] of ["held", "reopen"].entries()) {
      const seen = new Set(lines.filter((l) => l.startsWith(`${mode}-`)));
      expect(seen.size).toBe(counts[index]);
    }
    expect(lines.length).toBe((counts[0] ?? 0) + (counts[1] ?? 0));
    // Every rotated file ends up compressed; no temp files remain.
    const names = (await fs.readdir(dir)).filter((n) => n !== ".stop");
    expect(names.filter((n) => n.startsWith("."))).toEqual([]);
    expect(
      names.filter((n) => n !== "particle.log" && !n.endsWith(compression === "zstd" ? ".zst" : ".gz")),
    ).toEqual([]);
  });

  it("keeps N rotated files, deleting the oldest", async () => {
    const dir = await scratchDir("logrotate-keep");
    const file = path.join(dir, "a.log");
    const options = {
      patterns: [path.join(dir, "*.log")],
      maxSizeBytes: 1,
      maxAgeDays: 0,
      keep: 2,
      compression: "zstd" as const,
    };
    for (let i = 0; i < 4; i++) {
      await fs.writeFile(file, `round ${i}\n`);
      await rotateLogs({ ...options, now: new Date(Date.UTC(2026, 0, 1 + i)) });
    }
    const names = (await fs.readdir(dir)).sort();
    expect(names).toEqual(["a.log.20260103T000000Z.zst", "a.log.20260104T000000Z.zst"]);
    expect((await run("zstd", ["-dc", path.join(dir, names[1] as string)])).stdout).toBe("round 3");
  });

  it("leaves small young files alone", async () => {
    const dir = await scratchDir("logrotate-idle");
    await fs.writeFile(path.join(dir, "a.log"), "x\n");
    const report = await rotateLogs({
      patterns: [path.join(dir, "*.log")],
      maxSizeBytes: 1024,
      maxAgeDays: 30,
      keep: 2,
      compression: "zstd",
    });
    expect(report.rotated).toEqual([]);
    expect(await fs.readdir(dir)).toEqual(["a.log"]);
  });
});
