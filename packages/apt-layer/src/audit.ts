import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { API_VERSION, mkdirDurable, readFileIfExists, sha256Hex } from "@particle/runtime";
import { auditTampered } from "./errors.js";
import { AuditEntry } from "./spec.js";

/**
 * The audit log: one JSON line per transaction (who, what, when, result). Each entry carries the hash
 * of the one before it and its own hash over its canonical JSON, so editing, removing or reordering
 * any entry breaks the chain from that point on. Appends are one write(2) with O_APPEND, then fsync.
 */

const GENESIS = "0".repeat(64);

export interface AuditRecord {
  readonly user: { uid: number; name: string };
  readonly op: string;
  readonly target: string;
  readonly details?: Record<string, unknown>;
  readonly result: "success" | "failure";
  readonly error?: string;
  /** @default now */
  readonly time?: string;
}

/** JSON with object keys sorted at every level: one byte sequence per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, "hash">): string {
  return sha256Hex(canonicalJson(entry));
}

/** Makes the next entry of a chain (pure). */
export function chainEntry(previous: AuditEntry | undefined, record: AuditRecord): AuditEntry {
  const body: Omit<AuditEntry, "hash"> = {
    apiVersion: API_VERSION,
    kind: "AuditEntry",
    seq: (previous?.seq ?? 0) + 1,
    time: record.time ?? new Date().toISOString(),
    user: { uid: record.user.uid, name: record.user.name },
    op: record.op,
    target: record.target,
    details: record.details ?? {},
    result: record.result,
    ...(record.error === undefined ? {} : { error: record.error }),
    prev: previous?.hash ?? GENESIS,
  };
  return { ...body, hash: entryHash(body) };
}

export interface VerifyReport {
  readonly entries: number;
  readonly lastHash: string;
}

/** Checks a whole log's text (pure); throws AUDIT_TAMPERED at the first entry that breaks the chain. */
export function verifyAuditText(text: string, file = "audit log"): VerifyReport {
  let previous: AuditEntry | undefined;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const [index, line] of lines.entries()) {
    const seq = index + 1;
    let parsed: ReturnType<typeof AuditEntry.safeParse>;
    try {
      parsed = AuditEntry.safeParse(JSON.parse(line));
    } catch {
      throw auditTampered(file, seq, "not valid JSON");
    }
    if (!parsed.success) throw auditTampered(file, seq, "not a valid audit entry");
    const entry = parsed.data;
    if (entry.seq !== seq)
      throw auditTampered(file, seq, `sequence number ${entry.seq} where ${seq} was expected`);
    if (entry.prev !== (previous?.hash ?? GENESIS))
      throw auditTampered(file, seq, "does not follow the previous entry");
    const { hash, ...body } = entry;
    if (entryHash(body) !== hash) throw auditTampered(file, seq, "content does not match its hash");
    previous = entry;
  }
  return { entries: lines.length, lastHash: previous?.hash ?? GENESIS };
}

async function lastEntry(file: string): Promise<AuditEntry | undefined> {
  const text = (await readFileIfExists(file)) ?? "";
  const line = text.trimEnd().split("\n").pop();
  return line ? AuditEntry.parse(JSON.parse(line)) : undefined;
}

/** Appends one entry to the log (call with the apt-layer lock held, so appends do not interleave). */
export async function appendAudit(file: string, record: AuditRecord): Promise<AuditEntry> {
  await mkdirDurable(path.dirname(file));
  const entry = chainEntry(await lastEntry(file), record);
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
  try {
    await handle.write(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return entry;
}

export async function verifyAuditLog(file: string): Promise<VerifyReport> {
  return verifyAuditText((await readFileIfExists(file)) ?? "", file);
}

export async function readAuditLog(file: string): Promise<AuditEntry[]> {
  // A missing log is an empty one; an unreadable one is an error, not an empty history.
  const text = (await readFileIfExists(file)) ?? "";
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => AuditEntry.parse(JSON.parse(line)));
}
