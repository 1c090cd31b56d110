import { API_VERSION } from "@particle/runtime";
import type { BootcHost, DeploymentOrigin, DeploymentStatus } from "./spec.js";
import { deploymentRef } from "./sysroot/layout.js";
import type { Sysroot } from "./sysroot/sysroot.js";

function statusOf(origin: DeploymentOrigin): DeploymentStatus {
  return {
    stateroot: origin.stateroot,
    id: origin.id,
    image: origin.image,
    pinned: origin.pinned,
    deployedAt: origin.deployedAt,
    kernelVersion: origin.boot.kernelVersion,
    kargs: origin.kargs,
  };
}

/** The host document (pure): booted, staged, default and rollback deployments. */
export function hostStatus(input: {
  readonly deployments: ReadonlyMap<string, DeploymentOrigin>;
  readonly entries: readonly string[];
  readonly booted?: string;
  readonly staged: readonly string[];
}): BootcHost {
  const get = (ref: string | undefined) => {
    const origin = ref === undefined ? undefined : input.deployments.get(ref);
    return origin ? statusOf(origin) : null;
  };
  const [first, second] = input.entries;
  const shown = new Set([input.booted, input.staged[0], first, second]);
  const others = [...input.deployments.entries()]
    .filter(([ref]) => !shown.has(ref))
    .map(([, o]) => o)
    .sort((a, b) => b.deployedAt.localeCompare(a.deployedAt))
    .map(statusOf);
  const defaultStatus = get(first);
  const rollbackStatus = get(second);
  // A rollback is queued when the default is older than the deployment it replaced.
  const rolledBack =
    defaultStatus !== null && rollbackStatus !== null && defaultStatus.deployedAt < rollbackStatus.deployedAt;
  return {
    apiVersion: API_VERSION,
    kind: "BootcHost",
    spec: {
      image: get(input.staged[0] ?? first)?.image.reference ?? null,
      bootOrder: rolledBack ? "rollback" : "default",
    },
    status: {
      booted: get(input.booted),
      staged: get(input.staged[0]),
      rollback: rollbackStatus,
      otherDeployments: others,
      default: defaultStatus,
    },
  };
}

export async function status(sysroot: Sysroot): Promise<BootcHost> {
  const set = await sysroot.entrySet();
  return hostStatus({
    deployments: await sysroot.deployments(),
    entries: set?.entries.map((e) => e.deployment) ?? [],
    booted: sysroot.booted,
    staged: [...(await sysroot.staged()).entries()].map(([root, s]) => deploymentRef(root, s.deployment)),
  });
}
