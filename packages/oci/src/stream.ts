import type { Duplex, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Connects stream stages and returns the last one for a reader to consume. An error in any stage
 * destroys every stage with it, so the reader of the last one sees it; the pipeline's own promise
 * is not awaited (the reader is the one who reports).
 */
export function connect(first: Readable, ...stages: Duplex[]): Readable {
  if (stages.length === 0) return first;
  pipeline([first, ...stages]).catch(() => undefined);
  return stages.at(-1) as Duplex;
}
