import { promises as fs } from "node:fs";
import path from "node:path";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { baseTree, world } from "./support/cli.js";

beforeAll(() => requireRoot());

describe("particle-bootc", () => {
  it("installs, reports status, upgrades (77 when current), edits kargs, rolls back and cleans up", async () => {
    const dir = await scratchDir("bootc-cli");
    const w = await world(dir);
    await w.publish(baseTree("1"), "1");
    const install = await w.install(["--karg", "console=ttyS0", "--json"]);
    expect(install.exitCode, install.stderr).toBe(0);
    const deployment = JSON.parse(install.stdout).deployment as string;
    const sr = ["--sysroot", w.sysroot];

    const status = JSON.parse((await w.bootc(["status", ...sr, "--json"])).stdout);
    expect(status).toMatchObject({
      apiVersion: "particle.dev/v1",
      kind: "BootcHost",
      spec: { image: w.reference },
    });
    expect(status.status.default).toMatchObject({
      id: deployment.split("/")[1],
      image: { version: "1" },
    });
    expect(status.status.default.kargs).toEqual(["root=UUID=1", "ro", "panic=10", "console=ttyS0"]);
    const grub = await fs.readFile(path.join(w.sysroot, "grub/grub.cfg"), "utf8");
    expect(grub).toContain(`particle.deployment=${deployment}`);
    expect(grub).toContain("linux /particle/boot/kernels/");

    expect((await w.bootc(["upgrade", ...sr])).exitCode).toBe(77);
    const a = status.status.default.image.manifestDigest as string;
    await w.publish({ ...baseTree("2"), "etc/issue": "Particle 2\n" }, "2");
    const check = await w.bootc(["upgrade", "--check", ...sr, "--json"]);
    expect(check.exitCode).toBe(0);
    const checked = JSON.parse(check.stdout);
    expect(checked).toMatchObject({ kind: "Upgrade", outcome: "available", current: a });
    const b = checked.latest as string;
    expect(b).not.toBe(a);
    const up = await w.bootc(["upgrade", ...sr]);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^deployed default\/[0-9a-f]{12}-0: it boots next$/m);
    expect((await w.bootc(["upgrade", ...sr])).exitCode).toBe(77);

    const kargs = await w.bootc(["kargs", "--append", "quiet", "--delete", "console", ...sr, "--json"]);
    expect(JSON.parse(kargs.stdout).kargs).toEqual(["root=UUID=1", "ro", "panic=10", "quiet"]);
    expect((await w.bootc(["kargs", ...sr])).stdout).toBe("root=UUID=1 ro panic=10 quiet");

    const rb = await w.bootc(["rollback", ...sr, "--json"]);
    expect(JSON.parse(rb.stdout)).toMatchObject({ kind: "Rollback", deployment });
    const after = JSON.parse((await w.bootc(["status", ...sr, "--json"])).stdout);
    expect(after.status.default.image.manifestDigest).toBe(a);
    expect(after.status.rollback.image.manifestDigest).toBe(b);
    expect(after.spec.bootOrder).toBe("rollback");
    expect(JSON.parse((await w.bootc(["cleanup", ...sr, "--json"])).stdout)).toMatchObject({
      deployments: [],
    });
    expect((await w.bootc(["pin", deployment, ...sr])).stdout).toBe(`${deployment} pinned`);
  });

  it("rejects bad input with an error, a hint and a stable exit code, changing nothing", async () => {
    const dir = await scratchDir("bootc-cli-bad");
    const w = await world(dir);
    const notSysroot = await w.bootc(["status", "--sysroot", dir]);
    expect(notSysroot.exitCode).toBe(3);
    expect(notSysroot.stderr).toMatch(/^error: .* is not a Particle sysroot/m);
    expect(notSysroot.stderr).toMatch(/^hint: /m);
    const missing = await w.install([], `oci:${dir}/nolayout:os`);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/^error: /m);
    expect(await fs.readdir(w.sysroot)).toEqual([]); // the target is left empty
    const noRoot = await w.bootc(["install", "to-filesystem", w.sysroot, "--image", "oci:/x:os"]);
    expect(noRoot.exitCode).toBe(2);
    expect(noRoot.stderr).toMatch(/^hint: For example: --root-karg/m);
    const size = await w.bootc([
      "install",
      "to-disk",
      path.join(dir, "disk.img"),
      "--image",
      "os:a",
      "--root-size",
      "big",
    ]);
    expect(size.exitCode).toBe(4);
    expect(size.stderr).toMatch(/^error: the root size NaN is not a whole number of MiB$/m);
    expect(size.stderr).toMatch(/^hint: Give a positive whole number of MiB/m);
    expect(await fs.readdir(dir)).not.toContain("disk.img");
    const usage = await w.bootc(["kargs", "--bogus"]);
    expect(usage.exitCode).toBe(2);
    await w.publish(baseTree("1"), "1");
    expect((await w.install()).exitCode).toBe(0);
    const badKarg = await w.bootc(["kargs", "--delete", "nosuch", "--sysroot", w.sysroot]);
    expect(badKarg.exitCode).toBe(3);
    expect(badKarg.stderr).toMatch(/^error: kernel argument "nosuch" is not set$/m);
    expect(badKarg.stderr).toMatch(/^hint: Run `particle-bootc kargs --list`/m);
    const looseAuth = path.join(dir, "auth.json");
    await fs.writeFile(looseAuth, '{"auths":{"127.0.0.1:5000":{"auth":"c2VjcmV0OnNlY3JldA=="}}}', {
      mode: 0o644,
    });
    await fs.chmod(looseAuth, 0o644);
    const auth = await w.bootc(["upgrade", "--sysroot", w.sysroot]);
    expect(auth.exitCode).toBe(10);
    expect(auth.stderr).toMatch(/^error: .*auth\.json is readable by other users \(mode 0644\)$/m);
    expect(auth.stderr).toMatch(/^hint: Restrict it: chmod 600/m);
    expect(auth.stderr + auth.stdout).not.toContain("c2VjcmV0");
  });

  it("lints images: --list, a bootable tree with warnings, --skip and --fatal-warnings", async () => {
    const dir = await scratchDir("bootc-cli-lint");
    const w = await world(dir);
    const list = JSON.parse((await w.bootc(["container", "lint", "--list", "--json"])).stdout);
    expect(list.lints.map((l: { id: string }) => l.id)).toEqual([
      "kernel",
      "systemd",
      "boot-integration",
      "var-content",
      "state-directories",
      "fstab-root",
      "sysroot-dir",
    ]);
    const tree = path.join(dir, "tree");
    await fs.mkdir(path.join(tree, "boot"), { recursive: true });
    const failed = await w.bootc(["container", "lint", "--rootfs", tree]);
    expect(failed.exitCode).toBe(4);
    expect(failed.stdout).toMatch(/^kernel +fatal +failed/m);
    expect(failed.stderr).toMatch(/^error: the image is not bootable: kernel, systemd, boot-integration$/m);
    const skipped = await w.bootc([
      "container",
      "lint",
      "--rootfs",
      tree,
      "--skip",
      "kernel",
      "--skip",
      "systemd",
      "--skip",
      "boot-integration",
    ]);
    expect(skipped.exitCode, skipped.stderr).toBe(0);
    // A file in /opt: its /var/opt copy would freeze it at the first deployment (a fatal lint).
    await fs.mkdir(path.join(tree, "opt/app"), { recursive: true });
    await fs.writeFile(path.join(tree, "opt/app/run"), "");
    const strict = await w.bootc([
      "container",
      "lint",
      "--rootfs",
      tree,
      "--skip",
      "kernel",
      "--skip",
      "systemd",
      "--skip",
      "boot-integration",
      "--fatal-warnings",
      "--json",
    ]);
    expect(strict.exitCode).toBe(4);
    expect(JSON.parse(strict.stdout).failed).toEqual(["state-directories", "sysroot-dir"]);
    expect((await w.bootc(["container", "lint", "--rootfs", tree, "--skip", "nosuch"])).exitCode).toBe(2);
  });
});
