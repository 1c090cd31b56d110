import { promises as fs } from "node:fs";
import path from "node:path";
import {
  mkdirDurable,
  recoverPending,
  Transaction,
  type TransactionRecord,
  unmountAll,
  withLock,
} from "@particle/runtime";
import { type AuditRecord, appendAudit } from "./audit.js";
import { rootRequired } from "./errors.js";
import type { ImageStore } from "./image/store.js";
import { type Caller, currentCaller } from "./tenants.js";

/** Everything an apt-layer operation needs: the store, where its state lives, and who is asking. */
export interface AptLayerContext {
  readonly store: ImageStore;
  /** apt-layer's persistent state: journal, build directories, audit log, tenants, live overlays. */
  readonly stateDir: string;
  /** Shared apt caches (lists and .debs); never inside a layer. */
  readonly cacheDir: string;
  readonly layer?: { format?: "squashfs" | "erofs"; compression?: string; level?: number };
  /** Timestamp that file times are clamped to. @default 1700000000 */
  readonly sourceDateEpoch?: number;
  /** Who runs the operation (audit, tenants). @default the current process's user */
  readonly caller?: Caller;
  /** Called with a short line at each stage of a build, for progress output. */
  readonly onStage?: (stage: string) => void;
}

export const DEFAULT_SOURCE_DATE_EPOCH = 1_700_000_000;

export function statePaths(ctx: Pick<AptLayerContext, "stateDir" | "cacheDir">) {
  return {
    lock: path.join(ctx.stateDir, "lock"),
    journal: path.join(ctx.stateDir, "journal"),
    builds: path.join(ctx.stateDir, "builds"),
    audit: path.join(ctx.stateDir, "audit.log"),
    tenants: path.join(ctx.stateDir, "tenants.json"),
    live: path.join(ctx.stateDir, "live"),
    aptCache: path.join(ctx.cacheDir, "apt"),
  };
}

/** Where a build puts the base mount and its overlay. */
export function buildDirs(workDir: string) {
  return { lower: path.join(workDir, "lower"), env: path.join(workDir, "env") };
}

/** Undoes what an interrupted build left: its mounts and its scratch directory. Nothing else to undo: the store commits atomically. */
async function cleanBuild(ctx: AptLayerContext, workDir: string): Promise<void> {
  const dirs = buildDirs(workDir);
  await unmountAll(path.join(dirs.env, "root"), { lazy: true });
  // The store records its mounts (layer loop mounts live outside workDir): undo them through it.
  const lower = path.resolve(dirs.lower);
  if ((await ctx.store.mounts()).some((r) => r.target === lower))
    await ctx.store.unmount(lower, { lazy: true });
  await unmountAll(workDir, { lazy: true });
  await fs.rm(workDir, { recursive: true, force: true });
}

async function recoverAll(ctx: AptLayerContext, caller: Caller): Promise<void> {
  const paths = statePaths(ctx);
  const recover = async (record: TransactionRecord) => {
    if (typeof record.intent.workDir === "string") await cleanBuild(ctx, record.intent.workDir);
    await appendAudit(paths.audit, {
      user: caller,
      op: record.op,
      target: String(record.intent.target ?? ""),
      details: { transaction: record.id, steps: record.steps },
      result: "failure",
      error: "interrupted; recovered by the next command",
    });
  };
  const recoverers = Object.fromEntries(OPS.map((op) => [op, recover]));
  await recoverPending(paths.journal, recoverers);
}

/** Every transaction op apt-layer journals (failpoints are `<op>/<step>`). */
export const OPS = [
  "apt-layer.build",
  "apt-layer.bootstrap",
  "apt-layer.live-commit",
  "apt-layer.resolve",
] as const;
export type OpName = (typeof OPS)[number];

export interface TransactionScope {
  readonly tx: Transaction;
  readonly workDir: string;
  readonly caller: Caller;
}

/**
 * Runs one journaled operation: takes apt-layer's lock, recovers whatever a killed earlier command
 * left, records the intent, gives the body a fresh work directory, and in every outcome removes that
 * directory and its mounts and appends the result to the audit log.
 */
export async function withTransaction<T>(
  ctx: AptLayerContext,
  op: OpName,
  intent: { target: string } & Record<string, unknown>,
  body: (scope: TransactionScope) => Promise<T>,
): Promise<T> {
  if (process.getuid?.() !== 0) throw rootRequired("building images");
  const paths = statePaths(ctx);
  const caller = ctx.caller ?? (await currentCaller());
  await mkdirDurable(ctx.stateDir);
  return withLock(paths.lock, { purpose: "apt-layer's build state", timeoutMs: 0 }, async () => {
    await recoverAll(ctx, caller);
    await mkdirDurable(paths.builds);
    const workDir = await fs.mkdtemp(path.join(paths.builds, "b-"));
    const tx = await Transaction.begin(paths.journal, op, { ...intent, workDir });
    const finish = async (outcome: Pick<AuditRecord, "result" | "error">) => {
      await cleanBuild(ctx, workDir);
      await tx.commit();
      await appendAudit(paths.audit, {
        user: caller,
        op,
        target: intent.target,
        details: auditDetails(intent),
        ...outcome,
      });
    };
    let result: T;
    try {
      result = await body({ tx, workDir, caller });
    } catch (error) {
      await finish({ result: "failure", error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    await finish({ result: "success" });
    return result;
  });
}

function auditDetails(intent: Record<string, unknown>): Record<string, unknown> {
  const { workDir: _ignored, ...rest } = intent;
  return rest;
}

/** Runs `body` under apt-layer's lock after recovering interrupted operations (for commands that only read or that manage their own state). */
export async function withRecoveredState<T>(ctx: AptLayerContext, body: () => Promise<T>): Promise<T> {
  const paths = statePaths(ctx);
  await mkdirDurable(ctx.stateDir);
  return withLock(paths.lock, { purpose: "apt-layer's build state", timeoutMs: 0 }, async () => {
    if (process.getuid?.() === 0) await recoverAll(ctx, ctx.caller ?? (await currentCaller()));
    return body();
  });
}
