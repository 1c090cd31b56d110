import path from "node:path";
import type { CommandContext, Progress } from "@particle/cli-kit";
import { Store } from "@particle/composefs";
import type { TransportOptions } from "@particle/oci";

/** The store and transport settings every OCI verb uses, from the effective settings. */
export function transportOptions(ctx: CommandContext): TransportOptions {
  return {
    authFile: ctx.settings.registry.auth_file,
    insecure: ctx.settings.registry.insecure,
    workDir: path.join(ctx.settings.paths.cache, "oci"),
    logger: ctx.logger,
  };
}

export function openStore(ctx: CommandContext): Promise<Store> {
  return Store.open(ctx.settings.paths.store, { create: true, runDir: ctx.settings.paths.run });
}

/** One byte progress bar per layer, replaced when the layer or phase changes. */
export function layerProgress(
  ctx: CommandContext,
  verb: string,
): {
  onProgress(p: { phase: string; layer: number; layers: number; bytes: number; total?: number }): void;
  done(): void;
} {
  let bar: Progress | undefined;
  let key = "";
  return {
    onProgress(p) {
      const next = `${p.phase}/${p.layer}`;
      if (next !== key) {
        bar?.done();
        key = next;
        bar = ctx.progress({
          label: `${verb} ${p.phase} layer ${p.layer}/${p.layers}`,
          unit: "bytes",
          ...(p.total ? { total: p.total } : {}),
        });
      }
      bar?.update(p.bytes);
    },
    done() {
      bar?.done();
    },
  };
}
