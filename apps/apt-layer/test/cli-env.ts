import path from "node:path";
import { CACHE_ROOT, DEFAULT_TEST_SUITE } from "@particle/test-kit";

/** The cached test rootfs's release (Debian 13 unless the test kit says otherwise), imported as this image. */
export const BASE = `debian/${DEFAULT_TEST_SUITE}`;

/**
 * The environment of the bundled CLIs in a test: every path in the scratch directory, no log file,
 * apt's caches shared between runs (one per release: an update on another release would drop its lists).
 */
export function cliEnv(dir: string): Record<string, string> {
  return {
    PARTICLE_LOGGING_FILE: "",
    PARTICLE_CONFIG_ROOT: path.join(dir, "etc"),
    PARTICLE_PATHS_STORE: path.join(dir, "store"),
    PARTICLE_PATHS_STATE: path.join(dir, "state"),
    PARTICLE_PATHS_RUN: path.join(dir, "run"),
    PARTICLE_PATHS_CACHE: path.join(CACHE_ROOT, `apt-layer-cli-${DEFAULT_TEST_SUITE}`),
    PARTICLE_PATHS_LOG: path.join(dir, "log"),
  };
}
