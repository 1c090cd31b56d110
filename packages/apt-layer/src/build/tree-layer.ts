import { type AptLayerContext, DEFAULT_SOURCE_DATE_EPOCH, type TransactionScope } from "../context.js";
import type { Descriptor } from "../image/store.js";
import { cleanUpper } from "./hygiene.js";

/** Cleans a tree (caches, logs, machine identity; in place) and stores it as a layer. */
export async function createTreeLayer(
  ctx: AptLayerContext,
  scope: TransactionScope,
  tree: string,
): Promise<Descriptor> {
  await cleanUpper(tree);
  const layer = await ctx.store.createLayer(tree, {
    ...(ctx.layer?.format ? { format: ctx.layer.format } : {}),
    ...(ctx.layer?.compression ? { compression: ctx.layer.compression } : {}),
    ...(ctx.layer?.level ? { level: ctx.layer.level } : {}),
    sourceDateEpoch: ctx.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH,
  });
  await scope.tx.step("layer-created");
  return layer;
}
