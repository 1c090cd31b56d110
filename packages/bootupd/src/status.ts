import { pendingTransactions } from "@particle/runtime";
import { bootloaders } from "./backends/index.js";
import { packageVersions } from "./dpkg.js";
import type { BootupStatus, ComponentStatus } from "./spec.js";
import { readState } from "./state.js";
import { type BootTarget, statePaths } from "./target.js";

/** Whether the image carries other versions of the packages a component was installed from (pure). */
export function isUpdateAvailable(
  installed: Readonly<Record<string, string>>,
  available: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(installed).some(
    ([name, version]) => available[name] !== undefined && available[name] !== version,
  );
}

/**
 * What is installed, what the image at `source` would install, and any interrupted update. Reads
 * only: an interrupted update is reported here and finished by the next `update`.
 */
export async function bootloaderStatus(
  target: BootTarget,
  options: { source: string },
): Promise<BootupStatus> {
  const state = await readState(target);
  const components: ComponentStatus[] = [];
  for (const component of Object.values(state?.components ?? {})) {
    const available = await packageVersions(options.source, Object.keys(component.packages));
    components.push({
      backend: component.backend,
      installed: component.packages,
      available,
      updateAvailable: isUpdateAvailable(component.packages, available),
      secureBoot: component.secureBoot,
      files: Object.keys(component.files).length,
    });
  }
  const adoptable: BootupStatus["adoptable"] = [];
  if (components.length === 0) {
    for (const backend of bootloaders) if (await backend.query(target)) adoptable.push(backend.name);
  }
  const installable = [];
  for (const backend of bootloaders) {
    const detection = await backend.detect(options.source);
    installable.push({
      backend: backend.name,
      available: detection.available,
      ...(detection.missing ? { missing: detection.missing } : {}),
    });
  }
  const interrupted = (await pendingTransactions(statePaths(target).journal)).map((r) => ({
    id: r.id,
    op: r.op,
    startedAt: r.startedAt,
    steps: r.steps,
  }));
  return { components, installable, adoptable, interrupted };
}
