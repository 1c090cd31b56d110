import path from "node:path";

/**
 * Where everything lives on the physical root (pure). Paths the boot script reads are relative to the
 * sysroot so the same files work at /sysroot, in the initramfs and in an install target:
 *
 *   particle/store/                          the image store (an OCI image layout)
 *   particle/deploy/<stateroot>/var/         the stateroot's shared /var
 *   particle/deploy/<stateroot>/<id>/        origin.json, layers, etc/upper, etc/work
 *   particle/deploy/<stateroot>/staged.json  a deployment waiting for finalize-staged
 *   particle/boot/kernels/<checksum>/        vmlinuz and initrd.img, shared by deployments
 *   particle/boot/entries -> entries.<n>     the current boot entry set (state.json, grub.cfg, loader/)
 *   particle/boot/bootloader.json            which bootloader reads the entries (GRUB or systemd-boot)
 *   grub -> particle/boot/entries/grub       GRUB's menu and boot counter (grub.cfg, grubenv)
 *   particle/journal/, particle/lock         transaction journal and lock
 */
export class SysrootLayout {
  constructor(readonly root: string) {}

  get particle(): string {
    return path.join(this.root, "particle");
  }
  get store(): string {
    return path.join(this.particle, "store");
  }
  get deployRoot(): string {
    return path.join(this.particle, "deploy");
  }
  get journal(): string {
    return path.join(this.particle, "journal");
  }
  get lock(): string {
    return path.join(this.particle, "lock");
  }
  get bootRoot(): string {
    return path.join(this.particle, "boot");
  }
  get kernels(): string {
    return path.join(this.bootRoot, "kernels");
  }
  /** The symlink whose rename switches the boot entry set. */
  get entries(): string {
    return path.join(this.bootRoot, "entries");
  }
  entrySet(generation: number): string {
    return path.join(this.bootRoot, `entries.${generation}`);
  }
  /** Which bootloader reads the boot entries (`SysrootBootloader`). */
  get bootloader(): string {
    return path.join(this.bootRoot, "bootloader.json");
  }
  /** The symlink GRUB's stub finds the menu through (`search --file /grub/grub.cfg`). */
  get grubLink(): string {
    return path.join(this.root, "grub");
  }

  stateroot(stateroot: string): string {
    return path.join(this.deployRoot, stateroot);
  }
  var(stateroot: string): string {
    return path.join(this.stateroot(stateroot), "var");
  }
  staged(stateroot: string): string {
    return path.join(this.stateroot(stateroot), "staged.json");
  }
  deployment(stateroot: string, id: string): string {
    return path.join(this.stateroot(stateroot), id);
  }
  origin(stateroot: string, id: string): string {
    return path.join(this.deployment(stateroot, id), "origin.json");
  }
  /** The ordered layer list the boot script reads (one "<fstype> <path>" line per layer, bottom first). */
  layersFile(stateroot: string, id: string): string {
    return path.join(this.deployment(stateroot, id), "layers");
  }
  etcUpper(stateroot: string, id: string): string {
    return path.join(this.deployment(stateroot, id), "etc", "upper");
  }
  etcWork(stateroot: string, id: string): string {
    return path.join(this.deployment(stateroot, id), "etc", "work");
  }
  kernelDir(checksum: string): string {
    return path.join(this.kernels, checksum);
  }
  /** A path below the sysroot, as written in boot entries and the layers file. */
  relative(p: string): string {
    return path.relative(this.root, p);
  }
}

/** `<stateroot>/<id>`, the form used on the kernel command line and in boot entries. */
export function deploymentRef(stateroot: string, id: string): string {
  return `${stateroot}/${id}`;
}

export function parseDeploymentRef(ref: string): { stateroot: string; id: string } | undefined {
  const match = /^([a-z0-9][a-z0-9_-]{0,31})\/([a-z0-9][a-z0-9_-]{0,31})$/.exec(ref);
  return match ? { stateroot: match[1] as string, id: match[2] as string } : undefined;
}
