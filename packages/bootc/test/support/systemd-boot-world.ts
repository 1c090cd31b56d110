import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseBlsFileName } from "@particle/bootupd";
import { cleanup } from "../../src/deploy/cleanup.js";
import { markBootComplete, openSysroot, rollback, switchImage } from "../../src/index.js";

/**
 * systemd-boot as the tests see it: which entry it would boot from an ESP directory (its 252 order:
 * out of tries last, then sort-key, then version newest first; loader.conf's `default` glob), and
 * the rename it makes on each counted try. Run as a script, this file is a child process that runs
 * one particle-bootc operation on a sysroot with its ESP, so a failpoint can kill it.
 */

export interface EspEntry {
  readonly file: string;
  readonly left?: number;
  readonly done?: number;
  readonly sortKey?: string;
  readonly version?: string;
  readonly linux?: string;
  readonly initrd?: string;
  readonly options?: string;
}

/** Compares versions the way strverscmp_improved does for digits and dots (enough for "5.3" vs "12.1"). */
function compareVersions(a = "", b = ""): number {
  const split = (v: string) => v.match(/\d+|\D+/g) ?? [];
  const [x, y] = [split(a), split(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const [p, q] = [x[i], y[i]];
    if (p === undefined || q === undefined) return p === undefined ? -1 : 1;
    const r = /^\d/.test(p) && /^\d/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (r !== 0) return Math.sign(r);
  }
  return 0;
}

export async function readEspEntries(esp: string): Promise<EspEntry[]> {
  const dir = path.join(esp, "loader/entries");
  const entries: EspEntry[] = [];
  for (const file of (await fs.readdir(dir)).filter((n) => n.endsWith(".conf") && !n.startsWith("."))) {
    const fields: Record<string, string> = {};
    for (const line of (await fs.readFile(path.join(dir, file), "utf8")).split("\n")) {
      const match = /^(\S+)\s+(.*)$/.exec(line);
      if (match) fields[match[1] as string] = match[2] as string;
    }
    const name = parseBlsFileName(file);
    entries.push({
      file,
      ...(name?.left === undefined ? {} : { left: name.left, done: name.done ?? 0 }),
      sortKey: fields["sort-key"],
      version: fields.version,
      linux: fields.linux,
      initrd: fields.initrd,
      options: fields.options,
    } as EspEntry);
  }
  return entries.sort((a, b) => {
    const out = Number(a.left === 0) - Number(b.left === 0);
    if (out !== 0) return out;
    if (a.sortKey !== b.sortKey) return (a.sortKey ?? "") < (b.sortKey ?? "") ? -1 : 1;
    return -compareVersions(a.version, b.version) || -compareVersions(a.file, b.file);
  });
}

/** The entry systemd-boot boots next: loader.conf's `default` glob, else the first in its order. */
export async function nextBoot(esp: string): Promise<EspEntry> {
  const conf = await fs.readFile(path.join(esp, "loader/loader.conf"), "utf8");
  const pattern = /^default\s+(\S+)$/m.exec(conf)?.[1];
  const entries = await readEspEntries(esp);
  const glob = pattern
    ? new RegExp(`^${pattern.replace(/[.+]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`)
    : undefined;
  const chosen = entries.find((e) => glob === undefined || glob.test(e.file)) ?? entries[0];
  if (chosen === undefined) throw new Error(`no entry on ${esp}`);
  return chosen;
}

/** The deployment an entry boots (`particle.deployment=` on its command line). */
export function deploymentOf(entry: EspEntry): string | undefined {
  return /particle\.deployment=(\S+)/.exec(entry.options ?? "")?.[1];
}

/** One boot attempt: systemd-boot counts a try of a counted entry by renaming its file first. */
export async function tryBoot(esp: string): Promise<string | undefined> {
  const entry = await nextBoot(esp);
  if (entry.left !== undefined && entry.left > 0) {
    const id = parseBlsFileName(entry.file)?.id as string;
    const dir = path.join(esp, "loader/entries");
    await fs.rename(
      path.join(dir, entry.file),
      path.join(dir, `${id}+${entry.left - 1}-${(entry.done ?? 0) + 1}.conf`),
    );
  }
  return deploymentOf(entry);
}

export interface OpRequest {
  readonly op: "switch" | "rollback" | "boot-complete" | "cleanup";
  readonly sysroot: string;
  readonly esp: string;
  readonly runDir: string;
  readonly reference?: string;
}

export interface ChildResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs one operation in a child process, with failpoints armed. */
export function runOp(request: OpRequest, failpoints = ""): Promise<ChildResult> {
  const argv = [
    "--conditions=@particle/source",
    "--import",
    "tsx",
    fileURLToPath(import.meta.url),
    JSON.stringify(request),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, PARTICLE_FAILPOINTS: failpoints, PARTICLE_LOGGING_FILE: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, stderr }));
  });
}

async function main(request: OpRequest): Promise<void> {
  const sysroot = await openSysroot(request.sysroot, { runDir: request.runDir, esp: request.esp });
  if (request.op === "switch")
    await switchImage(sysroot, { reference: request.reference as string, finalize: true });
  else if (request.op === "rollback") await rollback(sysroot);
  else if (request.op === "boot-complete") await markBootComplete(sysroot);
  else await cleanup(sysroot);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(JSON.parse(process.argv[2] as string) as OpRequest).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
