import { ParticleError } from "./errors.js";

/**
 * Failpoints let tests stop an operation at a named step, the way a power cut or `kill -9` would.
 * `PARTICLE_FAILPOINTS="store.create/blob-written=kill,store.gc/marked=error"` makes the named points
 * kill the process with SIGKILL (no cleanup runs) or throw. Unset, a failpoint costs one map lookup.
 */
export type FailpointAction = "kill" | "error";

let parsed: { source: string; points: Map<string, FailpointAction> } | undefined;

export function parseFailpoints(spec: string): Map<string, FailpointAction> {
  const points = new Map<string, FailpointAction>();
  for (const item of spec.split(",")) {
    const trimmed = item.trim();
    if (!trimmed) continue;
    const eq = trimmed.lastIndexOf("=");
    const name = eq === -1 ? trimmed : trimmed.slice(0, eq);
    const action = eq === -1 ? "kill" : trimmed.slice(eq + 1);
    if (action !== "kill" && action !== "error") {
      throw new ParticleError({
        code: "FAILPOINT_INVALID",
        message: `PARTICLE_FAILPOINTS: unknown action "${action}" for ${name}`,
        hint: "Use NAME=kill or NAME=error, separated by commas.",
        exit: "usage",
      });
    }
    points.set(name, action);
  }
  return points;
}

function activePoints(): Map<string, FailpointAction> {
  const source = process.env.PARTICLE_FAILPOINTS ?? "";
  if (parsed?.source !== source) parsed = { source, points: parseFailpoints(source) };
  return parsed.points;
}

/** Marks a point where a test may interrupt the operation. */
export function failpoint(name: string): void {
  const action = activePoints().get(name);
  if (action === undefined) return;
  if (action === "kill") {
    process.kill(process.pid, "SIGKILL");
  }
  throw new ParticleError({
    code: "FAILPOINT",
    message: `failpoint ${name} triggered`,
    context: { failpoint: name },
  });
}
