import { type ChildProcess, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { isParticleError, mountsBelow, run } from "@particle/runtime";
import { debianRootfs, requireRoot, scratchDir } from "@particle/test-kit";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BuildEnvironment } from "../src/build-env/environment.js";
import { applyStep } from "../src/recipe/apply.js";
import { SHARED_CACHE } from "./fixture.js";

/**
 * A hostile recipe script (what any maintainer script of a third-party package can do too) tries each
 * classic way out of a build root. Each one worked under `unshare --root` with every capability; in
 * the bubblewrap sandbox each is refused and the host is untouched. A script prints ESCAPED and exits 0
 * when its attack worked, so the step succeeding is the failure.
 */

const aptCache = path.join(SHARED_CACHE, "apt");
let base: string;
let dir: string;
let victim: string;

/** Perl (perl-base is in every Debian image): the chroot() trick that leaves a chroot that is not a pivot_root. */
const CHROOT_TRICK = `mkdir "/tmp/jail"; if (chroot "/tmp/jail") { chdir ".." for 1 .. 64; chroot "." }`;

beforeAll(async () => {
  requireRoot();
  base = await debianRootfs();
});

beforeEach(async () => {
  dir = await scratchDir("build-sandbox");
  victim = path.join(dir, "victim");
  await fs.writeFile(victim, "untouched\n", { mode: 0o644 });
});

afterEach(async () => {
  // The host is untouched: the victim file as it was, nothing left mounted, nothing the script mounted.
  expect(await fs.readFile(victim, "utf8")).toBe("untouched\n");
  expect((await fs.stat(victim)).mode & 0o7777).toBe(0o644);
  expect(await mountsBelow(dir)).toEqual([]);
  expect(await fs.readFile("/proc/self/mountinfo", "utf8")).not.toContain("particle-escape");
});

/** Runs `script` as a recipe script step in a fresh build environment; returns the step's error. */
async function attempt(script: string, prepare?: (env: BuildEnvironment) => Promise<void>) {
  const env = await BuildEnvironment.open({ lower: [base], dir: path.join(dir, "env"), aptCache });
  try {
    await prepare?.(env);
    await applyStep(env, { kind: "script", name: "escape", run: script });
  } catch (error) {
    if (isParticleError(error, "EXEC_FAILED")) return String(error.context.stderr);
    throw error;
  } finally {
    await env.close();
  }
  throw new Error("the escape worked: the script exited 0");
}

/** A perl program as a script line; the program holds no single quote (the shell quoting). */
function perl(program: string): string {
  expect(program).not.toContain("'");
  return `exec perl -e '${program}'\n`;
}

describe("build sandbox", () => {
  it("refuses-the-chroot-trick", async () => {
    const stderr = await attempt(
      perl(`mkdir "/tmp/jail"; chroot "/tmp/jail" or die "chroot: $!\\n"; chdir ".." for 1 .. 64;
        chroot "." or die "chroot: $!\\n";
        open my $f, ">", "${victim}" or die "open: $!\\n"; print $f "escaped\\n"; close $f; print "ESCAPED\\n";`),
    );
    expect(stderr).toContain("chroot: Operation not permitted");
  });

  it("refuses-mount", async () => {
    const stderr = await attempt(
      `mount -t tmpfs particle-escape /mnt\ntouch /mnt/x\nmount --bind /mnt /usr\necho ESCAPED\n`,
    );
    expect(stderr).toMatch(/permission denied|not permitted/i);
  });

  it("refuses-ptrace-of-a-host-process", async () => {
    const sleeper: ChildProcess = spawn("sleep", ["600"], { stdio: "ignore" });
    try {
      const pid = sleeper.pid as number;
      const stderr = await attempt(
        perl(`$pid = ${pid};
          if (syscall(101, 16, $pid, 0, 0) == 0) { print "ESCAPED attach\\n"; exit 0 }
          warn "ptrace attach: $!\\n";
          ${CHROOT_TRICK}
          open(my $m, "+<", "/proc/$pid/mem") or die "open /proc/$pid/mem: $!\\n"; print "ESCAPED mem\\n";`),
      );
      expect(stderr).toContain("ptrace attach: No such process");
      expect(stderr).toContain(`open /proc/${pid}/mem: No such file or directory`);
      const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
      expect(status).toMatch(/^TracerPid:\s+0$/m);
      expect(status).toMatch(/^State:\s+S/m);
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("refuses-loading-a-kernel-module", async () => {
    // init_module with a bogus image: EPERM without CAP_SYS_MODULE. A kernel built without module
    // support (this host's) answers ENOSYS to everyone; the capability is what such a kernel would check.
    const stderr = await attempt(
      perl(`$img = "\\0" x 64; $params = "";
        $r = syscall(175, $img, 64, $params); $err = "$!"; $eperm = $!{EPERM};
        $r == 0 and do { print "ESCAPED\\n"; exit 0 };
        die "init_module: $err\\n" if $eperm;
        open my $s, "<", "/proc/self/status"; ($eff) = map { /^CapEff:\\s*(\\w+)/ ? $1 : () } <$s>;
        die "init_module: $err and no CAP_SYS_MODULE\\n" unless hex(substr($eff, -8)) & (1 << 16);
        print "ESCAPED (init_module: $err with CAP_SYS_MODULE)\\n";`),
    );
    expect(stderr).toMatch(
      /init_module: (Operation not permitted|Function not implemented and no CAP_SYS_MODULE)/,
    );
  });

  it("refuses-writing-proc-sys", async () => {
    const sysctl = "/proc/sys/kernel/printk_ratelimit";
    const before = await fs.readFile(sysctl, "utf8");
    // Writes the value it has (the host would not change even if the write went through).
    const stderr = await attempt(`v=$(cat ${sysctl})\necho "$v" > ${sysctl}\necho ESCAPED\n`);
    expect(stderr).toContain("Read-only file system");
    expect(await fs.readFile(sysctl, "utf8")).toBe(before);
  });

  it("refuses-opening-a-host-block-device", async () => {
    const backing = path.join(dir, "disk.img");
    await fs.writeFile(backing, Buffer.alloc(1 << 20, "u"));
    const loop = (await run("losetup", ["--find", "--show", backing])).stdout.trim();
    try {
      const rdev = (await fs.stat(loop)).rdev;
      const [major, minor] = [Math.floor(rdev / 256) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)];
      const stderr = await attempt(
        perl(`for $node ("/root/shipped-disk", "/root/made-disk", "/tmp/made-disk", "/dev/made-disk") {
            system("mknod", $node, "b", "${major}", "${minor}") unless -e $node;
            if (open my $d, "+<", $node) { print $d "escaped"; close $d; print "ESCAPED $node\\n"; exit 0 }
            warn "open $node: $!\\n";
          }
          exit 1;`),
        // A block device node that came with the image (a layer can carry one).
        async (env) => {
          await run("mknod", [path.join(env.root, "root/shipped-disk"), "b", String(major), String(minor)]);
        },
      );
      expect(stderr).toContain("open /root/shipped-disk: Permission denied");
      expect(stderr).toContain("mknod: /root/made-disk: Operation not permitted");
      expect((await fs.readFile(backing)).equals(Buffer.alloc(1 << 20, "u"))).toBe(true);
    } finally {
      await run("losetup", ["--detach", loop]);
    }
  });

  it("refuses-network-in-an-offline-step", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const stderr = await attempt(
        perl(`use Socket;
          sub reach { socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!\\n";
            connect($s, sockaddr_in(${port}, inet_aton("127.0.0.1"))) }
          if (reach()) { print "ESCAPED\\n"; exit 0 }
          warn "connect: $!\\n";
          ${CHROOT_TRICK}
          # Into the network namespace of a host process (this test), else of the sandbox init.
          for $pid (${process.pid}, 1) {
            open(my $ns, "<", "/proc/$pid/ns/net") or do { warn "open /proc/$pid/ns/net: $!\\n"; next };
            syscall(308, fileno($ns), 0x40000000) == 0 or do { warn "setns: $!\\n"; next };
            if (reach()) { print "ESCAPED\\n"; exit 0 }
          }
          exit 1;`),
      );
      expect(stderr).toContain("connect: Connection refused");
      expect(stderr).toContain(`open /proc/${process.pid}/ns/net: No such file or directory`);
      expect(stderr).toContain("setns: Operation not permitted");
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
