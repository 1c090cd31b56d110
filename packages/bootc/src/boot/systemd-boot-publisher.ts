import { promises as fs } from "node:fs";
import path from "node:path";
import {
  failpoint,
  fsyncDir,
  fsyncFile,
  ifExists,
  mkdirDurable,
  pathExists,
  readFileIfExists,
  renameDurable,
  writeFileAtomic,
} from "@particle/runtime";
import { BootcErrors } from "../errors.js";
import type { BootEntrySet } from "../spec.js";
import type { BootEntryPublisher } from "./entries.js";
import {
  blsFilesFor,
  ESP_ENTRIES,
  ESP_KERNELS,
  findEntryFile,
  kernelDirsOf,
  newFileName,
  planEspFinish,
  renderSystemdBootLoaderConf,
} from "./systemd-boot-entries.js";

/**
 * Writes entry sets to the ESP for systemd-boot (the file names and order are in
 * systemd-boot-entries.ts). Every file is written under a temp name, fsynced and renamed; a set is
 * published in three steps that each leave a bootable ESP:
 *   prepare  kernel directories the set needs (copied under a temp name, renamed when complete);
 *   switch   the default's entry file appears: from then on it is systemd-boot's first choice;
 *   finish   the set's other entries are written, older entries and unused kernels deleted.
 * FAT has no journal: a power cut in the middle of a FAT rename is left to fsck.vfat, as for any
 * ESP; each step is flushed before the next starts.
 */

export interface SystemdBootOptions {
  /** The ESP: a mounted directory, or a function that finds and mounts it on first use. */
  readonly esp: string | (() => Promise<string>);
  /** The sysroot whose `particle/boot/kernels/` the kernels are copied from. */
  readonly root: string;
  /** Seconds systemd-boot's menu waits. @default 1 */
  readonly timeout?: number;
}

async function listEntryFiles(esp: string): Promise<string[]> {
  return ((await ifExists(fs.readdir(path.join(esp, ESP_ENTRIES)))) ?? []).sort();
}

/** Copies a kernel directory from the sysroot unless the ESP has it; it appears complete or not at all. */
async function copyKernelDir(root: string, esp: string, rel: string): Promise<void> {
  const from = path.join(root, rel);
  const to = path.join(esp, rel);
  if (await pathExists(to)) return; // named by content hash, and renamed into place only when complete
  const names = await fs.readdir(from);
  const temp = path.join(path.dirname(to), `.${path.basename(to)}.tmp`);
  await fs.rm(temp, { recursive: true, force: true });
  await mkdirDurable(temp);
  for (const name of names) {
    await fs.copyFile(path.join(from, name), path.join(temp, name));
    await fsyncFile(path.join(temp, name));
  }
  await fsyncDir(temp);
  await fs.rm(to, { recursive: true, force: true });
  await renameDurable(temp, to);
}

export function systemdBootPublisher(options: SystemdBootOptions): BootEntryPublisher {
  let mounted: string | undefined;
  const espDir = async () => {
    if (mounted === undefined) {
      const dir = typeof options.esp === "string" ? options.esp : await options.esp();
      // Never create an ESP: a wrong path would silently get boot entries nothing reads.
      if (!(await ifExists(fs.stat(dir)))?.isDirectory()) throw BootcErrors.espInvalid(dir);
      mounted = dir;
    }
    return mounted;
  };
  return {
    async prepare(set: BootEntrySet) {
      const esp = await espDir();
      const conf = path.join(esp, "loader/loader.conf");
      const text = renderSystemdBootLoaderConf(options.timeout ?? 1);
      await mkdirDurable(path.join(esp, ESP_ENTRIES));
      if ((await readFileIfExists(conf)) !== text) await writeFileAtomic(conf, text);
      for (const dir of kernelDirsOf(set)) {
        await mkdirDurable(path.dirname(path.join(esp, dir)));
        await copyKernelDir(options.root, esp, dir);
      }
    },

    async switch(set: BootEntrySet) {
      const esp = await espDir();
      const first = blsFilesFor(set)[0];
      if (first === undefined || findEntryFile(first.id, await listEntryFiles(esp)) !== undefined) return;
      await writeFileAtomic(path.join(esp, ESP_ENTRIES, newFileName(first)), first.text);
    },

    async switched(set: BootEntrySet) {
      const first = blsFilesFor(set)[0];
      return (
        first === undefined || findEntryFile(first.id, await listEntryFiles(await espDir())) !== undefined
      );
    },

    async finish(set: BootEntrySet | undefined) {
      const esp = await espDir();
      const entries = path.join(esp, ESP_ENTRIES);
      const plan = planEspFinish(set, await listEntryFiles(esp));
      for (const file of plan.write) await writeFileAtomic(path.join(entries, file.name), file.text);
      failpoint("bootc.entries/esp-completed");
      for (const name of plan.remove) await fs.rm(path.join(entries, name), { force: true });
      if (plan.remove.length > 0) await fsyncDir(entries);
      // Kernels go after the entries that boot them.
      const keep = new Set(kernelDirsOf(set).map((d) => path.posix.basename(d)));
      const kernels = path.join(esp, ESP_KERNELS);
      const unused = ((await ifExists(fs.readdir(kernels))) ?? []).filter((n) => !keep.has(n));
      for (const name of unused) await fs.rm(path.join(kernels, name), { recursive: true, force: true });
      if (unused.length > 0) await fsyncDir(kernels);
    },
  };
}
