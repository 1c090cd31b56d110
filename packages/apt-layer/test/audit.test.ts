import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { appendAudit, canonicalJson, chainEntry, readAuditLog, verifyAuditText } from "../src/audit.js";
import type { AuditEntry } from "../src/spec.js";

function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    entries.push(
      chainEntry(entries[i - 1], {
        user: { uid: 0, name: "root" },
        op: "apt-layer.build",
        target: `img:${i}`,
        details: { install: ["jq"] },
        result: i % 2 ? "failure" : "success",
        time: `2026-01-0${i + 1}T00:00:00.000Z`,
      }),
    );
  }
  return entries;
}
const text = (entries: AuditEntry[]) => `${entries.map((e) => JSON.stringify(e)).join("\n")}\n`;

describe("audit log hash chain", () => {
  it("verifies an untouched log", () => {
    expect(verifyAuditText(text(chain(4)))).toMatchObject({ entries: 4 });
    expect(verifyAuditText("")).toMatchObject({ entries: 0 });
  });

  it("detects an edited entry", () => {
    const entries = chain(3);
    const forged = text(entries).replace('"result":"failure"', '"result":"success"');
    expect(() => verifyAuditText(forged)).toThrow(
      expect.objectContaining({ code: "AUDIT_TAMPERED", context: expect.objectContaining({ seq: 2 }) }),
    );
  });

  it("detects a removed entry", () => {
    const entries = chain(3);
    expect(() => verifyAuditText(text([entries[0] as AuditEntry, entries[2] as AuditEntry]))).toThrow(
      /entry 2/,
    );
  });

  it("detects an entry re-hashed after editing (the next link breaks)", () => {
    const entries = chain(3);
    const { hash: _h, ...body } = { ...(entries[1] as AuditEntry), target: "other" };
    const rehashed = chainEntry(entries[0], { ...body, time: body.time });
    expect(() =>
      verifyAuditText(text([entries[0] as AuditEntry, rehashed, entries[2] as AuditEntry])),
    ).toThrow(/entry 3/);
  });

  it("detects reordering and garbage", () => {
    const entries = chain(2);
    expect(() => verifyAuditText(text([entries[1] as AuditEntry, entries[0] as AuditEntry]))).toThrow(
      /entry 1/,
    );
    expect(() => verifyAuditText(`${text(entries)}{not json\n`)).toThrow(/entry 3: not valid JSON/);
  });

  it("hashes canonical JSON, independent of key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it("reads a missing log as empty but does not pass an unreadable one off as empty", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "apt-layer-audit-"));
    try {
      const file = path.join(dir, "audit.log");
      expect(await readAuditLog(file)).toEqual([]);
      await appendAudit(file, {
        user: { uid: 0, name: "root" },
        op: "apt-layer.build",
        target: "a:1",
        result: "success",
      });
      expect((await readAuditLog(file)).map((e) => e.target)).toEqual(["a:1"]);
      // A directory where the log should be: reading fails instead of showing no history.
      await expect(readAuditLog(dir)).rejects.toThrow();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
