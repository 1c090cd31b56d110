#!/usr/bin/env node
// @ts-check
/**
 * Builds particle-os_<version>_all.deb: the bundled CLIs (apps/<cli>/dist/*.mjs, built with
 * `pnpm build`), the boot integration (initramfs-tools hook and script) and the systemd units of
 * every package. The CLIs run on the distribution's Node.js, so the package is architecture-independent.
 *
 *   node packaging/deb/build-deb.mjs [--out DIR] [--version X.Y.Z]
 *
 * Prints the path of the .deb. Uses dpkg-deb with --root-owner-group: no root or fakeroot needed.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const repo = path.resolve(import.meta.dirname, "../..");
const { values } = parseArgs({ options: { out: { type: "string" }, version: { type: "string" } } });
const version =
  values.version ?? JSON.parse(readFileSync(path.join(repo, "packages/bootc/package.json"), "utf8")).version;
const out = path.resolve(values.out ?? path.join(repo, "packaging/deb/dist"));

/** Units enabled on install: boot counting, finalize-at-shutdown, the update timer, log rotation. */
const ENABLED = [
  "particle-boot-complete.service",
  "particle-finalize-staged.path",
  "particle-bootc-fetch.timer",
  "particle-logrotate.timer",
];

const root = mkdtempSync(path.join(os.tmpdir(), "particle-deb-"));
try {
  chmodSync(root, 0o755); // becomes "/" of the package
  const bin = path.join(root, "usr/lib/particle/bin");
  mkdirSync(bin, { recursive: true });
  mkdirSync(path.join(root, "usr/bin"), { recursive: true });
  const clis = [];
  for (const app of readdirSync(path.join(repo, "apps")).sort()) {
    const dist = path.join(repo, "apps", app, "dist");
    if (!existsSync(dist)) throw new Error(`apps/${app}/dist is missing: run \`pnpm build\` first`);
    for (const file of readdirSync(dist).filter((f) => f.endsWith(".mjs"))) {
      const name = file.slice(0, -".mjs".length);
      cpSync(path.join(dist, file), path.join(bin, file));
      chmodSync(path.join(bin, file), 0o755);
      symlinkSync(`../lib/particle/bin/${file}`, path.join(root, "usr/bin", name));
      clis.push(name);
    }
  }

  const boot = path.join(repo, "packages/bootc/boot");
  for (const dir of ["hooks", "scripts/local-bottom"]) {
    const target = path.join(root, "usr/share/initramfs-tools", dir);
    mkdirSync(target, { recursive: true });
    cpSync(path.join(boot, "initramfs-tools", dir, "particle"), path.join(target, "particle"));
    chmodSync(path.join(target, "particle"), 0o755);
  }

  const units = path.join(root, "usr/lib/systemd/system");
  mkdirSync(units, { recursive: true });
  const unitDirs = [
    path.join(boot, "systemd"),
    ...readdirSync(path.join(repo, "packages")).map((p) => path.join(repo, "packages", p, "units")),
  ];
  for (const dir of unitDirs.filter((d) => existsSync(d))) {
    for (const unit of readdirSync(dir).filter((f) => /\.(service|timer|path|mount)$/.test(f)))
      cpSync(path.join(dir, unit), path.join(units, unit));
  }
  // The physical root is mounted here by the boot script.
  mkdirSync(path.join(root, "sysroot"));

  const debian = path.join(root, "DEBIAN");
  mkdirSync(debian);
  writeFileSync(
    path.join(debian, "control"),
    [
      "Package: particle-os",
      `Version: ${version}`,
      "Architecture: all",
      "Maintainer: Particle-OS maintainers <particle-os@users.noreply.example>",
      // attr: getfattr reads overlayfs opaque directories during the /etc merge. bubblewrap: apt-layer's
      // build sandbox (every apt, dpkg and recipe script runs in it).
      "Depends: nodejs (>= 18), attr, bubblewrap, initramfs-tools, util-linux",
      "Section: admin",
      "Priority: optional",
      `Description: Particle-OS image-based system tools (${clis.join(", ")})`,
      " Atomic, image-based Debian systems: a content-addressed image store, OCI",
      " transport, apt layering, bootable deployments with rollback and /etc",
      " merges, and bootloader management. Includes the initramfs-tools boot",
      " integration that mounts a deployment at boot.",
      "",
    ].join("\n"),
  );
  const script = (body) => `#!/bin/sh\nset -e\n${body}\n`;
  writeFileSync(
    path.join(debian, "postinst"),
    script(
      [
        'if [ "$1" = configure ]; then',
        // The hook and script only take effect in a rebuilt initramfs.
        "  if command -v update-initramfs >/dev/null 2>&1 && ls /boot/vmlinuz-* >/dev/null 2>&1; then update-initramfs -u -k all; fi",
        `  if command -v systemctl >/dev/null 2>&1; then systemctl enable ${ENABLED.join(" ")} >/dev/null 2>&1 || true; fi`,
        "fi",
      ].join("\n"),
    ),
  );
  writeFileSync(
    path.join(debian, "prerm"),
    script(
      `if [ "$1" = remove ] && command -v systemctl >/dev/null 2>&1; then systemctl disable ${ENABLED.join(" ")} >/dev/null 2>&1 || true; fi`,
    ),
  );
  chmodSync(path.join(debian, "postinst"), 0o755);
  chmodSync(path.join(debian, "prerm"), 0o755);

  mkdirSync(out, { recursive: true });
  const deb = path.join(out, `particle-os_${version}_all.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, deb], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  process.stdout.write(`${deb}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
