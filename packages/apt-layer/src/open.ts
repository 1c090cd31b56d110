import path from "node:path";
import type { Settings } from "@particle/config";
import type { BootstrapDefaults } from "./build/bootstrap.js";
import type { AptLayerContext } from "./context.js";
import { openStore } from "./image/store.js";

/** Where apt-layer keeps its state and caches under the configured paths. */
export function aptLayerDirs(settings: Settings): { stateDir: string; cacheDir: string } {
  return {
    stateDir: path.join(settings.paths.state, "apt-layer"),
    cacheDir: path.join(settings.paths.cache, "apt-layer"),
  };
}

/** An apt-layer context from the toolkit's settings; `createStore` makes the store if it does not exist (commands that make bases). */
export async function openAptLayer(
  settings: Settings,
  options: Pick<AptLayerContext, "onStage" | "caller"> & { createStore?: boolean } = {},
): Promise<AptLayerContext> {
  const { createStore, ...rest } = options;
  const store = await openStore(settings.paths.store, {
    create: createStore ?? false,
    runDir: settings.paths.run,
  });
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

/** Options of @particle/oci's import and export from the settings (credentials, insecure registries, layer format). */
export function ociTransportOptions(settings: Settings) {
  return {
    workDir: path.join(settings.paths.cache, "apt-layer", "oci"),
    authFile: settings.registry.auth_file,
    insecure: settings.registry.insecure,
    layerFormat: settings.layer.format,
    layerCompression: settings.layer.compression,
    layerLevel: settings.layer.compression_level,
  };
}
