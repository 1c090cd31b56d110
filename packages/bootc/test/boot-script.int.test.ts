import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { initSysroot, STATE_DIRS, type Sysroot, switchImage } from "../src/index.js";
import { baseTree, writeTree } from "./support/images.js";

/**
 * The initramfs script, run as initramfs-tools runs it — with klibc's sh and only klibc's tools on
 * PATH (minbase images have no busybox) — against a physical root on its own ext4 filesystem, in a
 * private mount namespace. Proves the mount logic without booting.
 */

const SCRIPT = path.join(import.meta.dirname, "../boot/initramfs-tools/scripts/local-bottom/particle");
const KLIBC = "/usr/lib/klibc/bin";

beforeAll(() => requireRoot());

/** Runs the boot script in a namespace, then `checks` (bash) with the result still mounted; cleans up inside. */
async function bootScript(
  dir: string,
  cmdline: string,
  checks: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const bin = path.join(dir, "klibc-bin");
  await fs.mkdir(bin, { recursive: true });
  for (const tool of await fs.readdir(KLIBC))
    await fs.symlink(path.join(KLIBC, tool), path.join(bin, tool)).catch(() => {});
  await fs.writeFile(path.join(dir, "cmdline"), `${cmdline}\n`);
  const inner = `
set -u
cd ${dir}
mkdir -p root run
dev=$(losetup --find --show phys.img)
mount -o ro "$dev" root
mount -t tmpfs tmpfs run
PATH=${bin} rootmnt=${dir}/root PARTICLE_CMDLINE=${dir}/cmdline PARTICLE_RUN=${dir}/run/particle ${KLIBC}/sh ${SCRIPT}
echo "rc=$?"
${checks}
loops=$(awk '$5 ~ "/run/particle/layers/" {for (i = 7; i < NF; i++) if ($i == "-") print $(i + 2)}' /proc/self/mountinfo)
umount -R root run 2>/dev/null || umount -lR root run
for l in $loops "$dev"; do losetup -d "$l" 2>/dev/null; done
true
`;
  const result = await run("unshare", ["--mount", "--propagation", "private", "bash", "-c", inner]).catch(
    (e) => e,
  );
  return {
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? String(result.context?.stderr ?? ""),
    code: result.exitCode ?? 1,
  };
}

/** `before` changes the sysroot before it becomes the ext4 image. */
async function physicalRoot(name: string, before: (sysroot: Sysroot) => Promise<void> = async () => {}) {
  const dir = await scratchDir(name);
  const sysroot = await initSysroot(path.join(dir, "sysroot"), { storeRunDir: path.join(dir, "store-run") });
  const store = await Store.open(sysroot.layout.store, { runDir: path.join(dir, "store-run") });
  // Two layers: the second overrides a file of the first and deletes another (a whiteout).
  const lower = path.join(dir, "lower");
  const upper = path.join(dir, "upper");
  // State directories as Debian ships them (and /mnt as ostree does): /var copies cover them at boot.
  await writeTree(lower, {
    ...baseTree("1"),
    "root/.profile": "from the image\n",
    "usr/local/man": { symlink: "share/man" },
    mnt: { symlink: "var/mnt" },
  });
  for (const dir of ["home", "opt", "srv", "usr/local/bin"]) await fs.mkdir(path.join(lower, dir));
  await fs.chmod(path.join(lower, "root"), 0o700);
  await writeTree(upper, { "etc/issue": "from the top layer\n", "usr/bin/two": "two\n" });
  await run("mknod", [path.join(upper, "etc/motd"), "c", "0", "0"]);
  const layers = [await store.createLayer(lower, { level: 3 }), await store.createLayer(upper, { level: 3 })];
  await store.commitImage({ name: "os", tag: "a", layers });
  const a = await switchImage(sysroot, { reference: "os:a", kargs: ["ro"], finalize: true });
  await before(sysroot);
  await run("mkfs.ext4", ["-q", "-F", "-d", sysroot.root, path.join(dir, "phys.img"), "256M"]);
  return { dir, sysroot, a };
}

describe("initramfs boot script (klibc sh, klibc tools only)", () => {
  it("boot-script-mounts-the-deployment: read-only layers as /, writable /etc, shared /var, the image's dpkg database, /home, /root and /usr/local from /var", async () => {
    const { dir, a } = await physicalRoot("bootc-script");
    const id = a.origin.id;
    const checks = `
r=${dir}/root
echo "issue=$(cat $r/etc/issue)"
echo "motd=$(test -e $r/etc/motd && echo present || echo absent)"
echo "two=$(cat $r/usr/bin/two)"
touch $r/usr/x 2>/dev/null && echo usr=rw || echo usr=ro
touch $r/x 2>/dev/null && echo root=rw || echo root=ro
echo edited > $r/etc/edited && echo etc=rw
echo "upper=$(cat $r/sysroot/particle/deploy/default/${id}/etc/upper/edited)"
echo "seed=$(cat $r/var/lib/image-seed)"
echo data > $r/var/data && echo var=rw
echo "varshared=$(cat $r/sysroot/particle/deploy/default/var/data)"
echo "dpkg=$(grep Version $r/var/lib/dpkg/status)"
touch $r/var/lib/dpkg/x 2>/dev/null && echo dpkg=rw || echo dpkg=ro
echo "booted=$(cat ${dir}/run/particle/booted)"
mkdir $r/home/user && echo data > $r/home/user/data && echo home=rw
echo "home-var=$(cat $r/sysroot/particle/deploy/default/var/home/user/data)"
echo "root-profile=$(cat $r/root/.profile)"
echo data > $r/root/data && echo "root-var=$(cat $r/sysroot/particle/deploy/default/var/roothome/data)"
echo "root-mode=$(stat -c %a $r/root)"
touch $r/usr/local/bin/tool && echo usrlocal=rw
touch $r/usr/bin/tool 2>/dev/null && echo usrbin=rw || echo usrbin=ro
echo "usrlocal-man=$(readlink $r/usr/local/man)"
echo "mnt=$(readlink $r/mnt) $(test -e $r/sysroot/particle/deploy/default/var/mnt && echo seeded || echo absent)"
echo "image-home=$(ls -A ${dir}/run/particle/image/home | wc -l)"
echo "image-etc=$(cat ${dir}/run/particle/image/etc/hostname)"
`;
    const out = await bootScript(
      dir,
      `BOOT_IMAGE=/vmlinuz ro quiet particle.deployment=${a.deployment}`,
      checks,
    );
    const lines = out.stdout.split("\n");
    expect(lines, out.stderr).toContain("rc=0");
    expect(lines).toEqual(
      expect.arrayContaining([
        "issue=from the top layer",
        "motd=absent",
        "two=two",
        "usr=ro",
        "root=ro",
        "etc=rw",
        "upper=edited",
        "seed=seeded from the first image",
        "var=rw",
        "varshared=data",
        "dpkg=Version: 1",
        "dpkg=ro",
        `booted=${a.deployment}`,
        "image-etc=particle",
        "home=rw",
        "home-var=data",
        "root-profile=from the image",
        "root-var=data",
        "root-mode=700",
        "usrlocal=rw",
        "usrbin=ro",
        "usrlocal-man=share/man",
        "mnt=var/mnt absent",
        "image-home=0",
      ]),
    );
  });

  it("gives a deployment staged before state directories empty /var copies (/root 0700)", async () => {
    const { dir, a } = await physicalRoot("bootc-script-legacy", async (sysroot) => {
      for (const d of STATE_DIRS)
        await fs.rm(path.join(sysroot.layout.var("default"), d.state), { recursive: true, force: true });
    });
    const v = `${dir}/root/sysroot/particle/deploy/default/var`;
    const checks = `
echo "modes=$(stat -c %a ${v}/home ${v}/roothome ${v}/usrlocal | tr '\n' ' ')"
echo "profile=$(test -e ${dir}/root/root/.profile && echo present || echo absent)"
touch ${dir}/root/home/x && echo home=rw
echo "mnt=$(test -e ${v}/mnt && echo created || echo absent)"
`;
    const out = await bootScript(dir, `ro particle.deployment=${a.deployment}`, checks);
    expect(out.stdout.split("\n"), out.stderr).toEqual(
      expect.arrayContaining(["rc=0", "modes=755 700 755 ", "profile=absent", "home=rw", "mnt=absent"]),
    );
  });

  it("leaves the root alone without particle.deployment=, and fails on an unknown or malformed deployment", async () => {
    const { dir } = await physicalRoot("bootc-script-neg");
    const plain = await bootScript(
      dir,
      "root=/dev/vda2 ro",
      `test -d ${dir}/root/particle && echo untouched`,
    );
    expect(plain.stdout.split("\n")).toEqual(expect.arrayContaining(["rc=0", "untouched"]));
    const missing = await bootScript(dir, "ro particle.deployment=default/nosuch-0", "");
    expect(missing.stdout).toContain("rc=1");
    expect(missing.stderr).toContain("deployment default/nosuch-0 not found");
    const bad = await bootScript(dir, "ro particle.deployment=../../etc", "");
    expect(bad.stdout).toContain("rc=1");
    expect(bad.stderr).toContain("invalid particle.deployment");
  });
});
