import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fsyncDir, mkdirDurable, writeJsonAtomic } from "./atomic.js";
import { ParticleError } from "./errors.js";
import { failpoint } from "./failpoint.js";
import { API_VERSION, TransactionRecord } from "./spec.js";

/**
 * The transaction journal: an operation that changes disk state in several steps writes its intent
 * first and each completed step after it, so that if it is killed, the next command that takes the
 * same lock can finish it or roll it back (`recoverPending`). Every step is a failpoint named
 * `<op>/<step>`, and `<op>/begin` and `<op>/commit` bracket the whole, so tests can kill it anywhere.
 */
export class Transaction {
  private constructor(
    private readonly file: string,
    private record: TransactionRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get op(): string {
    return this.record.op;
  }

  /** Records the intent of `op` in `journalDir`. Hold the lock that protects the state first. */
  static async begin(journalDir: string, op: string, intent: Record<string, unknown>): Promise<Transaction> {
    await mkdirDurable(journalDir);
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const record: TransactionRecord = {
      apiVersion: API_VERSION,
      kind: "Transaction",
      id,
      op,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      intent,
      steps: [],
    };
    const file = path.join(journalDir, `${id}.json`);
    await writeJsonAtomic(file, record);
    failpoint(`${op}/begin`);
    return new Transaction(file, record);
  }

  /** Records that `name` is done (its effects are durable), then passes the failpoint `<op>/<name>`. */
  async step(name: string): Promise<void> {
    this.record = { ...this.record, steps: [...this.record.steps, name] };
    await writeJsonAtomic(this.file, this.record);
    failpoint(`${this.record.op}/${name}`);
  }

  /** Ends the transaction: its effects are complete, nothing is left to recover. */
  async commit(): Promise<void> {
    failpoint(`${this.record.op}/commit`);
    await fs.rm(this.file, { force: true });
    await fsyncDir(path.dirname(this.file));
  }
}

/** Finishes or undoes an interrupted transaction, given its record. Must be idempotent. */
export type Recoverer = (record: TransactionRecord) => Promise<void>;

/** Reads the transactions left by interrupted operations, oldest first. */
export async function pendingTransactions(journalDir: string): Promise<TransactionRecord[]> {
  let names: string[];
  try {
    names = (await fs.readdir(journalDir)).filter((n) => n.endsWith(".json") && !n.startsWith("."));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const records: TransactionRecord[] = [];
  for (const name of names.sort()) {
    const file = path.join(journalDir, name);
    const parsed = TransactionRecord.safeParse(JSON.parse(await fs.readFile(file, "utf8")));
    if (!parsed.success) {
      throw new ParticleError({
        code: "JOURNAL_CORRUPT",
        message: `transaction journal entry ${file} is not valid`,
        hint: "Inspect the file; if the operation it names is known to be finished, remove it.",
        context: { path: file },
        exit: "integrity",
      });
    }
    records.push(parsed.data);
  }
  return records;
}

/**
 * Recovers every interrupted transaction in `journalDir` with the recoverer for its op, removing each
 * entry once recovered. Call with the lock held. Returns what was recovered.
 */
export async function recoverPending(
  journalDir: string,
  recoverers: Readonly<Record<string, Recoverer>>,
): Promise<TransactionRecord[]> {
  const pending = await pendingTransactions(journalDir);
  for (const record of pending) {
    const recoverer = recoverers[record.op];
    if (recoverer === undefined) {
      throw new ParticleError({
        code: "JOURNAL_UNKNOWN_OP",
        message: `an interrupted "${record.op}" operation cannot be recovered by this program`,
        hint: "Run the newer program that started it, or remove the journal entry if you know it is finished.",
        context: { path: path.join(journalDir, `${record.id}.json`) },
      });
    }
    await recoverer(record);
    await fs.rm(path.join(journalDir, `${record.id}.json`), { force: true });
    await fsyncDir(journalDir);
  }
  return pending;
}
