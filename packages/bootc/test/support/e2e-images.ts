import { promises as fs } from "node:fs";
import path from "node:path";
import type { Store } from "@particle/composefs";
import { exportImage } from "@particle/oci";
import { bindMount, mountOverlay, run, runIsolated, unmount } from "@particle/runtime";
import { debianRootfs } from "@particle/test-kit";

/**
 * The images the boot tests deploy, built from the shared Debian rootfs as stacked layers so that A,
 * B and a broken B share their big layers:
 *   base (the rootfs) + os (particle-os.deb, MODULES=list initramfs, the guest test service)
 *     + top-a | top-b (a marker package at version 1 or 2, /etc/particle-e2e-version)
 *     + broken (on top of B: /sbin/init exits at once).
 * B and broken are published in an OCI layout inside A's /var (the guest upgrades from it, offline),
 * without the layers the guest already has.
 */

export const E2E_ROOTFS = {
  suite: "bookworm",
  include: [
    "linux-image-amd64",
    "systemd-sysv",
    "initramfs-tools",
    "udev",
    "nodejs",
    "e2fsprogs",
    "kmod",
    "attr",
    // particle-os.deb depends on it (apt-layer's build sandbox); dpkg -i installs no dependencies.
    "bubblewrap",
    "grub-efi-amd64-bin",
    "systemd-boot-efi",
  ],
} as const;

/** Where the guest finds B and broken, and what its deployments follow. */
export const GUEST_LAYOUT = "/var/lib/particle-e2e/layout";
export const GUEST_REFERENCE = `oci:${GUEST_LAYOUT}:os`;

/** Runs in the guest after every boot (particle-e2e.service); reports on the second serial port. */
const STEP_SCRIPT = `#!/bin/bash
set -u
say() { echo "PARTICLE-MARKER $*" >/dev/ttyS1; }
state=/var/lib/particle-e2e/step
n=$(cat $state 2>/dev/null || echo 0)
version() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const h=JSON.parse(s).status;const v=(d)=>d?d.image.version:"none";console.log("booted="+v(h.booted)+" default="+v(h.default)+" rollback="+v(h.rollback)+" staged="+v(h.staged))})'; }
say "boot step=$n deployment=$(cat /run/particle/booted) image=$(cat /etc/particle-e2e-version)"
say "dpkg=$(dpkg-query -W -f '\${Version}' particle-e2e-marker)"
touch /usr/e2e 2>/dev/null && say "usr=rw" || say "usr=ro"
touch /e2e 2>/dev/null && say "root=rw" || say "root=ro"
touch /etc/e2e 2>/dev/null && say "etc=rw" || say "etc=ro"
rm -f /etc/e2e
say "etc-local=$(cat /etc/particle-local.conf 2>/dev/null || echo none)"
say "var-data=$(cat /var/lib/particle-e2e/data 2>/dev/null || echo none)"
say "home-data=$(cat /home/e2e/data 2>/dev/null || echo none) root-data=$(cat /root/data 2>/dev/null || echo none)"
touch /home/e2e-rw 2>/dev/null && say "home=rw" || say "home=ro"
rm -f /home/e2e-rw
say "status $(particle-bootc status --json | version)"
echo $((n + 1)) >$state
sync
case "$n" in
0)
  echo local-edit >/etc/particle-local.conf
  echo kept >/var/lib/particle-e2e/data
  useradd --create-home e2e >/dev/ttyS0 2>&1
  echo kept >/home/e2e/data
  echo kept >/root/data
  particle-bootc upgrade >/dev/ttyS0 2>&1
  say "upgrade=$?"
  say "status-after-upgrade $(particle-bootc status --json | version)"
  grep particle /proc/self/mountinfo >/dev/ttyS0
  ls -laR /run/particle/mounts >/dev/ttyS0 2>&1
  systemctl reboot
  ;;
1)
  particle-bootc rollback >/dev/ttyS0 2>&1
  say "rollback=$?"
  systemctl reboot
  ;;
2)
  particle-bootc switch ${GUEST_REFERENCE.replace(":os", ":broken")} >/dev/ttyS0 2>&1
  say "switch=$?"
  systemctl reboot
  ;;
3)
  # The power is cut at a random moment of an upgrade that finalizes at once.
  particle-bootc switch --apply ${GUEST_REFERENCE} >/dev/ttyS0 2>&1 &
  sleep "$((RANDOM % 6)).$((RANDOM % 10))"
  say "kill-now"
  sleep 600
  ;;
*)
  say "final"
  systemctl poweroff
  ;;
esac
`;

const STEP_UNIT = `[Unit]
Description=Particle-OS boot test step
After=multi-user.target particle-boot-complete.service

[Service]
Type=oneshot
ExecStart=/usr/lib/particle-e2e/step

[Install]
WantedBy=multi-user.target
`;

/** Runs commands in a tree made of `lower` layers and an `upper` that collects the changes. */
async function inOverlay(
  work: string,
  name: string,
  lower: readonly string[],
  body: (root: string) => Promise<void>,
): Promise<string> {
  const upper = path.join(work, `${name}-upper`);
  const overlayWork = path.join(work, `${name}-work`);
  const root = path.join(work, `${name}-root`);
  for (const dir of [upper, overlayWork, root]) await fs.mkdir(dir, { recursive: true });
  await mountOverlay({ lower, upper, work: overlayWork, target: root });
  try {
    await bindMount("/dev", path.join(root, "dev"));
    try {
      await body(root);
    } finally {
      await unmount(path.join(root, "dev"));
    }
  } finally {
    await unmount(root);
  }
  return upper;
}

const inRoot = (root: string, argv: string[]) =>
  runIsolated(argv, { root, env: { DEBIAN_FRONTEND: "noninteractive" } });

/** A tiny package whose version names the image, so `dpkg -l` in the guest shows which image booted. */
async function markerDeb(work: string, version: string): Promise<string> {
  const dir = path.join(work, `marker-${version}`);
  await fs.mkdir(path.join(dir, "DEBIAN"), { recursive: true });
  await fs.writeFile(
    path.join(dir, "DEBIAN/control"),
    `Package: particle-e2e-marker\nVersion: ${version}\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: marks image ${version}\n`,
  );
  const deb = path.join(work, `marker-${version}.deb`);
  await run("dpkg-deb", ["--root-owner-group", "--build", dir, deb]);
  return deb;
}

async function installDeb(root: string, deb: string): Promise<void> {
  await fs.copyFile(deb, path.join(root, "tmp/pkg.deb"));
  await inRoot(root, ["dpkg", "-i", "/tmp/pkg.deb"]);
  await fs.rm(path.join(root, "tmp/pkg.deb"));
}

export interface E2eImages {
  /** `oci:DIR:a`, for installing A from the host. */
  readonly hostReference: string;
}

export async function buildE2eImages(store: Store, work: string, particleDeb: string): Promise<E2eImages> {
  const rootfs = await debianRootfs(E2E_ROOTFS);
  const level = { level: 3 } as const;
  const base = await store.createLayer(rootfs, level);
  const osUpper = await inOverlay(work, "os", [rootfs], async (root) => {
    const conf = path.join(root, "etc/initramfs-tools/initramfs.conf");
    await fs.writeFile(conf, (await fs.readFile(conf, "utf8")).replace(/^MODULES=.*$/m, "MODULES=list"));
    await fs.writeFile(
      path.join(root, "etc/initramfs-tools/modules"),
      "virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n",
    );
    await fs.writeFile(path.join(root, "etc/fstab"), "# the boot script mounts /, /etc and /var\n");
    await fs.writeFile(path.join(root, "etc/hostname"), "particle-e2e\n");
    await fs.mkdir(path.join(root, "usr/lib/particle-e2e"), { recursive: true });
    await fs.writeFile(path.join(root, "usr/lib/particle-e2e/step"), STEP_SCRIPT, { mode: 0o755 });
    await fs.writeFile(path.join(root, "usr/lib/systemd/system/particle-e2e.service"), STEP_UNIT);
    // Stack traces on the console if finalizing at shutdown fails.
    const dropIn = path.join(root, "etc/systemd/system/particle-finalize-staged.service.d");
    await fs.mkdir(dropIn, { recursive: true });
    await fs.writeFile(
      path.join(dropIn, "debug.conf"),
      "[Service]\nExecStop=\nExecStop=/usr/bin/particle-bootc finalize-staged --debug\n",
    );
    await installDeb(root, particleDeb); // its postinst rebuilds the initramfs with the boot script
    await inRoot(root, ["systemctl", "enable", "particle-e2e.service"]);
    await inRoot(root, ["passwd", "--delete", "root"]);
  });
  const os = await store.createLayer(osUpper, level);
  const top = async (
    version: string,
    lower: string[],
    extra: (root: string) => Promise<void> = async () => {},
  ) =>
    inOverlay(work, `top-${version}`, lower, async (root) => {
      await installDeb(root, await markerDeb(work, version));
      await fs.writeFile(path.join(root, "etc/particle-e2e-version"), `${version}\n`);
      await extra(root);
    });
  const topB = await top("2", [osUpper, rootfs]);
  const brokenUpper = path.join(work, "broken");
  await fs.mkdir(path.join(brokenUpper, "usr/sbin"), { recursive: true });
  // An init that exits at once: the kernel panics ("Attempted to kill init!") and reboots (panic=10).
  await fs.writeFile(path.join(brokenUpper, "usr/sbin/init"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
  const layerB = await store.createLayer(topB, level);
  const broken = await store.createLayer(brokenUpper, level);
  const labels = (v: string) => ({ "org.opencontainers.image.version": v });
  await store.commitImage({ name: "e2e/os", tag: "b", layers: [base, os, layerB], labels: labels("2") });
  await store.commitImage({
    name: "e2e/os",
    tag: "broken",
    layers: [base, os, layerB, broken],
    labels: labels("3"),
  });
  const guestLayout = path.join(work, "guest-layout");
  const exportOptions = { workDir: path.join(work, "export"), format: "native" } as const;
  await exportImage(store, "e2e/os:b", `oci:${guestLayout}:os`, exportOptions);
  await exportImage(store, "e2e/os:broken", `oci:${guestLayout}:broken`, exportOptions);
  // The guest's store has these already (A is made of them): the import reuses them by digest.
  for (const shared of [base, os])
    await fs.rm(path.join(guestLayout, "blobs/sha256", shared.digest.slice(7)), { force: true });
  const topA = await top("1", [osUpper, rootfs], async (root) => {
    await fs.mkdir(path.dirname(path.join(root, GUEST_LAYOUT)), { recursive: true });
    await run("cp", ["-a", guestLayout, path.join(root, GUEST_LAYOUT)]);
  });
  await store.commitImage({
    name: "e2e/os",
    tag: "a",
    layers: [base, os, await store.createLayer(topA, level)],
    labels: labels("1"),
  });
  const hostLayout = path.join(work, "host-layout");
  await exportImage(store, "e2e/os:a", `oci:${hostLayout}:a`, exportOptions);
  return { hostReference: `oci:${hostLayout}:a` };
}
