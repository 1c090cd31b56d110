import path from "node:path";
import type { Settings } from "@particle/config";
import type { BootstrapDefaults } from "./bootstrap.js";
import type { AptLayerContext } from "./context.js";
import { openStore } from "./store.js";

/** Where apt-layer keeps its state and caches under the configured paths. */
export function aptLayerDirs(settings: Settings): { stateDir: string; cacheDir: string } {
  return {
    stateDir: path.join(settings.paths.state, "apt-layer"),
    cacheDir: path.join(settings.paths.cache, "apt-layer"),
  };
}

/** An apt-layer context from the toolkit's settings (the store is created if it does not exist). */
export async function openAptLayer(
  settings: Settings,
  options: Pick<AptLayerContext, "onStage" | "caller"> = {},
): Promise<AptLayerContext> {
  const store = await openStore(settings.paths.store, { create: true, runDir: settings.paths.run });
  return {
    store,
    ...aptLayerDirs(settings),
    layer: {
      format: settings.layer.format,
      compression: settings.layer.compression,
      level: settings.layer.compression_level,
    },
    ...rest,
  };
}

export function bootstrapDefaults(settings: Settings): BootstrapDefaults {
  const b = settings.bootstrap;
  return { mirror: b.mirror, components: b.components, variant: b.variant, keyring: b.keyring };
}
