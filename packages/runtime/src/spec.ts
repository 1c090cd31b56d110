import { z } from "zod";

/** The `apiVersion` of every document and record the toolkit writes or prints. */
export const API_VERSION = "particle.dev/v1";

/** On-disk record of an operation in progress (see journal.ts). */
export const TransactionRecord = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Transaction"),
  id: z.string().regex(/^[0-9a-z-]+$/),
  op: z.string().min(1),
  pid: z.number().int(),
  startedAt: z.string(),
  /** What the operation means to do: enough for a recoverer to finish it or undo it. */
  intent: z.record(z.string(), z.unknown()),
  /** Steps completed so far, in order. */
  steps: z.array(z.string()),
});
export type TransactionRecord = z.infer<typeof TransactionRecord>;
