import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { acquireLock } from "@particle/runtime";
import { SCRATCH_ROOT } from "../scratch.js";
import { MARKER_PREFIX } from "./initramfs.js";

/**
 * A QEMU runner for boot tests: TCG (no KVM here), `-smp 2`, qemu64 with RDRAND, a hard timeout,
 * the console on the first serial port and marker lines read from a second serial port (a chardev
 * file). One VM runs at a time on the machine, across test processes, behind a lock: two TCG guests
 * on two cores only make both slower.
 *
 * Entropy: without RDRAND the guest's crng waits for jitter entropy, which under a loaded TCG host
 * took minutes (a udev worker soft-locked in getrandom and the boot timed out in CI). Debian's
 * kernel trusts RDRAND (RANDOM_TRUST_CPU=y), so the crng is ready at once; virtio-rng backs it up
 * once its module loads.
 */

export type Firmware =
  /** SeaBIOS (QEMU's default). */
  | "bios"
  /** OVMF without Secure Boot keys. */
  | "uefi"
  /** OVMF with SMM and Debian's snakeoil PK/KEK/db enrolled: Secure Boot is enforced. */
  | "uefi-secureboot";

export const OVMF_DIR = process.env.PARTICLE_OVMF_DIR ?? "/usr/share/OVMF";
/** The key and certificate that the snakeoil variable store trusts (passphrase "snakeoil"). */
export const SNAKEOIL_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key";
export const SNAKEOIL_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem";
export const SNAKEOIL_PASSPHRASE = "snakeoil";

export interface VmOptions {
  readonly firmware: Firmware;
  /** A raw disk image, attached as a virtio disk. */
  readonly disk?: string;
  /** Boots a kernel directly (no bootloader). */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  /** Where the firmware variables copy and the logs go. */
  readonly workDir: string;
  /** Stop as soon as the second serial port's output matches. @default /PARTICLE-MARKER \S+\r?\n/ */
  readonly until?: RegExp;
  /** Hard limit; the VM is killed after it. @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 512 */
  readonly memoryMiB?: number;
}

export interface VmResult {
  /** Everything the guest printed on the first serial port (firmware, bootloader, kernel). */
  readonly serialLog: string;
  /**
   * Marker lines (`PARTICLE-MARKER …`) printed on the second serial port. OVMF mirrors its console to
   * every serial port, so other lines there are ignored.
   */
  readonly markers: string[];
  /** Whether `until` matched (false: the VM stopped or timed out without it). */
  readonly matched: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** QEMU's arguments for a run (pure, so the command line is unit-testable). */
export function qemuArgs(
  options: VmOptions,
  files: { vars?: string; console: string; marker: string },
): string[] {
  const secure = options.firmware === "uefi-secureboot";
  const args = [
    "-nodefaults",
    "-display",
    "none",
    "-machine",
    secure ? "q35,smm=on" : "q35",
    "-accel",
    "tcg",
    "-cpu",
    "qemu64,+rdrand",
    "-device",
    "virtio-rng-pci",
    "-smp",
    "2",
    "-m",
    String(options.memoryMiB ?? 512),
    "-no-reboot",
    "-chardev",
    `file,id=console,path=${files.console}`,
    "-serial",
    "chardev:console",
    "-chardev",
    `file,id=marker,path=${files.marker}`,
    "-serial",
    "chardev:marker",
  ];
  if (options.firmware !== "bios") {
    const code = path.join(OVMF_DIR, secure ? "OVMF_CODE_4M.secboot.fd" : "OVMF_CODE_4M.fd");
    if (secure) args.push("-global", "driver=cfi.pflash01,property=secure,value=on");
    args.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${code}`);
    args.push("-drive", `if=pflash,format=raw,unit=1,file=${files.vars}`);
  }
  if (options.disk) args.push("-drive", `file=${options.disk},format=raw,if=virtio`);
  if (options.kernel) args.push("-kernel", options.kernel);
  if (options.initrd) args.push("-initrd", options.initrd);
  if (options.append) args.push("-append", options.append);
  return args;
}

async function readText(file: string): Promise<string> {
  return fs.readFile(file, "utf8").catch(() => "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Boots a VM until a marker line matches, it powers off, or the timeout hits. */
export async function bootVm(options: VmOptions): Promise<VmResult> {
  const until = options.until ?? new RegExp(`${MARKER_PREFIX} \\S+\\r?\\n`);
  const timeoutMs = options.timeoutMs ?? 300_000;
  await fs.mkdir(options.workDir, { recursive: true });
  const files = {
    console: path.join(options.workDir, "console.log"),
    marker: path.join(options.workDir, "marker.log"),
    vars: options.firmware === "bios" ? undefined : path.join(options.workDir, "OVMF_VARS.fd"),
  };
  if (files.vars) {
    const template = options.firmware === "uefi-secureboot" ? "OVMF_VARS_4M.snakeoil.fd" : "OVMF_VARS_4M.fd";
    await fs.copyFile(path.join(OVMF_DIR, template), files.vars);
  }
  await fs.rm(files.console, { force: true });
  await fs.rm(files.marker, { force: true });
  const lock = await acquireLock(path.join(SCRATCH_ROOT, "qemu.lock"), {
    purpose: "the QEMU test runner",
    timeoutMs: 60 * 60_000,
  });
  const started = Date.now();
  try {
    const child = spawn("qemu-system-x86_64", qemuArgs(options, files), {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.on("exit", () => {
        exited = true;
        resolve();
      });
      child.on("error", (error) => {
        stderr += String(error);
        exited = true;
        resolve();
      });
    });
    let matched = false;
    let timedOut = false;
    while (!exited) {
      if (until.test(await readText(files.marker))) {
        matched = true;
        break;
      }
      if (Date.now() - started > timeoutMs) {
        timedOut = true;
        break;
      }
      await Promise.race([exit, sleep(250)]);
    }
    if (!exited) {
      child.kill("SIGKILL");
      await exit;
    }
    const markerText = await readText(files.marker);
    matched ||= until.test(markerText);
    const serialLog = await readText(files.console);
    if (stderr.trim()) await fs.writeFile(path.join(options.workDir, "qemu.stderr"), stderr);
    return {
      serialLog: stderr.trim() ? `${serialLog}\n[qemu stderr] ${stderr}` : serialLog,
      markers: markerText
        .split(/\r?\n/)
        .filter((line) => line.includes(MARKER_PREFIX))
        .map((line) => line.slice(line.indexOf(MARKER_PREFIX)).trim()),
      matched,
      timedOut,
      durationMs: Date.now() - started,
    };
  } finally {
    await lock.release();
  }
}
