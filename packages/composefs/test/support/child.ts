import { spawn } from "node:child_process";
import path from "node:path";

const SCRIPT = path.join(import.meta.dirname, "store-op.ts");

export interface ChildResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Store method in a child process (see store-op.ts), optionally with failpoints armed. */
export function runStoreOp(
  store: string,
  runDir: string,
  op: string,
  args: unknown[],
  failpoints = "",
): Promise<ChildResult> {
  const argv = [
    "--conditions=@particle/source",
    "--import",
    "tsx",
    SCRIPT,
    JSON.stringify({ store, runDir, op, args }),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, PARTICLE_FAILPOINTS: failpoints },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
}
