import { promises as fs } from "node:fs";
import path from "node:path";
import { pathExists, readFileIfExists, recoverPending, withLock, writeJsonAtomic } from "@particle/runtime";
import { type BootConfigWriter, ENTRIES_OP, readEntrySet, recoverEntrySet } from "../boot/entries.js";
import { tagDeployments } from "../deploy/store-refs.js";
import { BootcErrors } from "../errors.js";
import { type BootEntrySet, DeploymentOrigin, StagedDeployment } from "../spec.js";
import { clearScratch } from "./image-mount.js";
import { deploymentRef, parseDeploymentRef, SysrootLayout } from "./layout.js";
import type { DeployStore } from "./store.js";

export interface SysrootOptions {
  /** The image store of this sysroot (normally `Store.open(layout.store)` from @particle/composefs). */
  readonly store: DeployStore;
  /** `<stateroot>/<id>` of the running deployment; undefined when not booted from this sysroot. */
  readonly booted?: string;
  /** Bootloader configuration written with every boot entry set (GRUB's menu, systemd-boot's ESP). */
  readonly renderers?: readonly BootConfigWriter[];
  /** The running system's runtime directory: staging a deployment there starts particle-finalize-staged.path. */
  readonly runDir?: string;
}

/** An opened physical root: its layout, store, deployments and boot entries. */
export class Sysroot {
  readonly layout: SysrootLayout;

  private constructor(
    root: string,
    readonly store: DeployStore,
    readonly booted: string | undefined,
    readonly renderers: readonly BootConfigWriter[],
    readonly runDir: string | undefined,
  ) {
    this.layout = new SysrootLayout(root);
  }

  get root(): string {
    return this.layout.root;
  }

  static async open(root: string, options: SysrootOptions): Promise<Sysroot> {
    const resolved = path.resolve(root);
    if (!(await pathExists(path.join(resolved, "particle", "deploy"))))
      throw BootcErrors.notASysroot(resolved);
    return new Sysroot(resolved, options.store, options.booted, options.renderers ?? [], options.runDir);
  }

  /** Runs `body` holding the sysroot lock, after finishing or undoing interrupted operations. */
  async locked<T>(
    purpose: string,
    body: () => Promise<T>,
    recoverers: Parameters<typeof recoverPending>[1] = {},
  ): Promise<T> {
    return withLock(this.layout.lock, { purpose: `the sysroot ${this.root} (${purpose})` }, async () => {
      await recoverPending(this.layout.journal, { ...defaultRecoverers(this), ...recoverers });
      // Deployments older than the store tags get theirs before anything can lead to a gc.
      await tagDeployments(this.store, await this.deployments());
      return body();
    });
  }

  async stateroots(): Promise<string[]> {
    const names = await fs.readdir(this.layout.deployRoot);
    return names.filter((n) => !n.startsWith(".")).sort();
  }

  /** Every complete deployment (those with an origin file), by `<stateroot>/<id>`. */
  async deployments(): Promise<Map<string, DeploymentOrigin>> {
    const found = new Map<string, DeploymentOrigin>();
    for (const stateroot of await this.stateroots()) {
      const entries = await fs.readdir(this.layout.stateroot(stateroot), { withFileTypes: true });
      for (const id of entries
        .filter((e) => e.isDirectory() && e.name !== "var" && !e.name.startsWith("."))
        .map((e) => e.name)
        .sort()) {
        const text = await readFileIfExists(this.layout.origin(stateroot, id));
        if (text !== undefined)
          found.set(deploymentRef(stateroot, id), DeploymentOrigin.parse(JSON.parse(text)));
      }
    }
    return found;
  }

  async origin(ref: string): Promise<DeploymentOrigin> {
    const parsed = parseDeploymentRef(ref);
    const text = parsed ? await readFileIfExists(this.layout.origin(parsed.stateroot, parsed.id)) : undefined;
    if (text === undefined) throw BootcErrors.deploymentNotFound(ref);
    return DeploymentOrigin.parse(JSON.parse(text));
  }

  async writeOrigin(origin: DeploymentOrigin): Promise<void> {
    await writeJsonAtomic(this.layout.origin(origin.stateroot, origin.id), DeploymentOrigin.parse(origin));
  }

  async entrySet(): Promise<BootEntrySet | undefined> {
    return readEntrySet(this.layout);
  }

  /** Staged deployments, by stateroot. */
  async staged(): Promise<Map<string, StagedDeployment>> {
    const found = new Map<string, StagedDeployment>();
    for (const stateroot of await this.stateroots()) {
      const text = await readFileIfExists(this.layout.staged(stateroot));
      if (text !== undefined) found.set(stateroot, StagedDeployment.parse(JSON.parse(text)));
    }
    return found;
  }
}

/**
 * Interrupted staging leaves a temp directory and maybe an image still mounted for reading;
 * finalize needs nothing undone (the switch is one rename) and is redone while staged.json exists;
 * an entry set switch with a publisher (systemd-boot) is finished or undone (recoverEntrySet).
 */
function defaultRecoverers(sysroot: Sysroot): Parameters<typeof recoverPending>[1] {
  const removeTemp = async (record: { intent: Record<string, unknown> }) => {
    await clearScratch(sysroot.layout);
    const temp = record.intent.temp;
    if (typeof temp === "string" && temp.startsWith(sysroot.layout.deployRoot)) {
      await fs.rm(temp, { recursive: true, force: true });
    }
  };
  return {
    "bootc.stage": removeTemp,
    "bootc.finalize": removeTemp,
    [ENTRIES_OP]: (record) => recoverEntrySet(sysroot.layout, sysroot.renderers, record),
  };
}
