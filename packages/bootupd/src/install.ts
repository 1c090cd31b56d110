import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bootloader, bootloaders } from "./backends/index.js";
import type { BootCodeRecord, Bootloader, InstallOptions } from "./backends/types.js";
import { applyDirPlans } from "./dir-update.js";
import { errors } from "./errors.js";
import { type LockedOptions, withBootLock } from "./lock.js";
import { assertSignedChain, type SigningKey } from "./secureboot.js";
import type { BackendName, InstalledComponent } from "./spec.js";
import { readState, soleComponent, withComponent, writeStateDurable } from "./state.js";
import type { BootTarget } from "./target.js";

export interface InstallRequest extends LockedOptions {
  readonly backend: string;
  /** Root of the image whose bootloader is installed ("/" on a booted system). */
  readonly source: string;
  /** Require a signed chain. @default false */
  readonly secureBoot?: boolean;
  readonly signing?: SigningKey;
}

export interface UpdateRequest extends LockedOptions {
  readonly source: string;
  /** The user's key, when the installed chain was signed with it. */
  readonly signing?: SigningKey;
}

export interface InstallReport {
  readonly backend: BackendName;
  readonly origin: InstalledComponent["origin"];
  /** Directories replaced ("esp:EFI/BOOT"); empty when everything was current. */
  readonly changed: string[];
  readonly packages: Record<string, string>;
  readonly files: number;
  readonly bootCode: readonly BootCodeRecord[];
  readonly secureBoot: boolean;
  /** Interrupted updates finished first (journal ids). */
  readonly recovered: string[];
}

async function installLocked(
  target: BootTarget,
  backend: Bootloader,
  source: string,
  options: InstallOptions,
  origin: InstalledComponent["origin"],
  recovered: string[],
): Promise<InstallReport> {
  if (options.secureBoot && backend.firmware === "bios") {
    throw errors.secureBootNotUefi(backend.name);
  }
  await backend.checkTarget(target);
  const state = await readState(target);
  const previous = soleComponent(state);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "particle-bootupd-"));
  try {
    const plans = await backend.plan(source, options, work);
    if (options.secureBoot) {
      const binaries = plans.flatMap((p) =>
        p.files.filter((f) => f.efi !== undefined).map((f) => ({ path: f.source, signedBy: f.efi })),
      );
      await assertSignedChain(binaries, options.signing?.cert);
    }
    const detection = await backend.detect(source, options);
    let bootCode: readonly BootCodeRecord[] = [];
    const result = await applyDirPlans(target, plans, async (tx, dirs) => {
      const code = backend.installBootCode
        ? await backend.installBootCode(target, source, work)
        : { bootCode: [] };
      bootCode = code.bootCode;
      await tx.step("bootcode");
      const now = new Date().toISOString();
      const component: InstalledComponent = {
        backend: backend.name,
        packages: { ...detection.packages },
        secureBoot: options.secureBoot ?? false,
        userSigned: options.signing !== undefined,
        dirs: plans.map((p) => `${p.root}:${p.path}`),
        files: { ...dirs.files, ...code.files },
        bootCode: [...code.bootCode],
        installedAt: previous?.backend === backend.name ? previous.installedAt : now,
        updatedAt: now,
        origin,
      };
      await writeStateDurable(target, withComponent(state, component));
      await tx.step("state");
    });
    return {
      backend: backend.name,
      origin,
      changed: result.changed,
      packages: { ...detection.packages },
      files: Object.keys(result.files).length,
      bootCode,
      secureBoot: options.secureBoot ?? false,
      recovered,
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * An update keeps the chain it found: Secure Boot stays on, and binaries signed with the user's key
 * are signed with it again (silently falling back to the distribution's signatures could leave a
 * machine that trusts only the user's key unbootable).
 */
function updateOptions(component: InstalledComponent, request: UpdateRequest): InstallOptions {
  if (component.userSigned && request.signing === undefined)
    throw errors.signingKeyRequired(component.backend);
  return { secureBoot: component.secureBoot, signing: request.signing };
}

/** Updates the recorded component from the image, with the lock held. */
function updateLocked(
  target: BootTarget,
  component: InstalledComponent,
  request: UpdateRequest,
  recovered: string[],
): Promise<InstallReport> {
  const options = updateOptions(component, request);
  return installLocked(target, bootloader(component.backend), request.source, options, "update", recovered);
}

/** Installs a bootloader from an image onto a target (ESP, /boot, disk), recording every file it placed. */
export async function installBootloader(target: BootTarget, request: InstallRequest): Promise<InstallReport> {
  const backend = bootloader(request.backend);
  const options = { secureBoot: request.secureBoot, signing: request.signing };
  return withBootLock(target, request, (recovered) =>
    installLocked(target, backend, request.source, options, "install", recovered),
  );
}

/**
 * Brings the installed bootloader to the version the image carries, finishing an interrupted update
 * first. Directories whose files already match are left alone.
 */
export async function updateBootloader(target: BootTarget, request: UpdateRequest): Promise<InstallReport> {
  return withBootLock(target, request, async (recovered) => {
    const component = soleComponent(await readState(target));
    if (component === undefined) throw errors.notInstalled(target.boot);
    return updateLocked(target, component, request, recovered);
  });
}

/**
 * Takes over a bootloader installed by something else (grub-install, bootctl, extlinux): finds
 * which one is on the target, then updates it from the image, which records every file from then
 * on. A target that already has a state is simply updated.
 */
export async function adoptAndUpdate(
  target: BootTarget,
  request: UpdateRequest & { readonly secureBoot?: boolean },
): Promise<InstallReport> {
  return withBootLock(target, request, async (recovered) => {
    const component = soleComponent(await readState(target));
    if (component !== undefined) return updateLocked(target, component, request, recovered);
    for (const backend of bootloaders) {
      if (!(await backend.query(target))) continue;
      if (backend.name === "lilo") throw errors.liloUnsupported();
      const options = { secureBoot: request.secureBoot, signing: request.signing };
      return installLocked(target, backend, request.source, options, "adopt", recovered);
    }
    throw errors.nothingToAdopt(target.boot);
  });
}
