import { type ChildProcess, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { run } from "@particle/runtime";

export interface TestRegistry {
  readonly host: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Starts Debian's docker-registry (distribution) on 127.0.0.1, optionally with htpasswd basic auth. */
export async function startRegistry(
  dir: string,
  options: { user?: string; password?: string } = {},
): Promise<TestRegistry> {
  const port = await freePort();
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${path.join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.user && options.password) {
    const { stdout } = await run("htpasswd", ["-Bbn", options.user, options.password]);
    await fs.writeFile(path.join(dir, "htpasswd"), `${stdout.trim()}\n`);
    lines.push("auth:", "  htpasswd:", "    realm: particle-test", `    path: ${path.join(dir, "htpasswd")}`);
  }
  await fs.writeFile(path.join(dir, "config.yml"), `${lines.join("\n")}\n`);
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    const ok = await fetch(`http://${host}/v2/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (i > 100) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}
