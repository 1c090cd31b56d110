import path from "node:path";
import {
  type AptLayerContext,
  type DeployImage,
  type LiveRequest,
  type LiveStatus,
  liveCommit,
  liveInstall,
  liveRollback,
  liveRootUnsupported,
  liveStatus,
  openAptLayer,
  type RunningSystem,
} from "@particle/apt-layer";
import { ociImporter, openSysroot, switchImage } from "@particle/bootc";
import { type CommandContext, defineCommand, stringOption } from "@particle/cli-kit";
import type { Settings } from "@particle/config";
import { isParticleError } from "@particle/runtime";
import { open, usage } from "../open.js";

const ROOT = { root: { type: "string" } } as const;
const ROOT_HELP = {
  root: "the root filesystem the live overlay covers (a mounted image; default /, the running Particle deployment)",
};

/**
 * The running system as the live overlay needs it, when the machine is booted into a Particle
 * deployment (see @particle/bootc's boot script): the booted image by digest in the sysroot's store,
 * /etc as the deployment's upper over the image's /etc (bound at <run>/image), and the runtime
 * directory. Undefined anywhere else.
 */
export async function runningSystem(
  settings: Settings,
): Promise<{ system: RunningSystem; storeRoot: string } | undefined> {
  const sysroot = await openSysroot(settings.paths.sysroot, { runDir: settings.paths.run }).catch(
    (error: unknown) => {
      if (isParticleError(error, "SYSROOT_NOT_FOUND")) return undefined;
      throw error;
    },
  );
  if (sysroot?.booted === undefined) return undefined;
  const origin = await sysroot.origin(sysroot.booted);
  return {
    storeRoot: sysroot.layout.store,
    system: {
      image: origin.image.manifestDigest,
      name: origin.image.storeRef,
      etc: [
        sysroot.layout.etcUpper(origin.stateroot, origin.id),
        path.join(settings.paths.run, "image", "etc"),
      ],
      runDir: settings.paths.run,
    },
  };
}

/**
 * The library context and root of a live command. On the running system (no --root) the store is the
 * sysroot's, which holds the booted image the changes layer on.
 */
async function openLive(
  ctx: CommandContext,
  parsed: { values: Readonly<Record<string, unknown>> },
): Promise<{ aptLayer: AptLayerContext; request: LiveRequest }> {
  const root = typeof parsed.values.root === "string" ? parsed.values.root : "/";
  if (root !== "/") return { aptLayer: await open(ctx), request: { root } };
  const running = await runningSystem(ctx.settings);
  // Before the store: a machine that runs no deployment may have none.
  if (running === undefined) throw liveRootUnsupported();
  const settings = { ...ctx.settings, paths: { ...ctx.settings.paths, store: running.storeRoot } };
  return {
    aptLayer: await openAptLayer(settings, { onStage: (stage) => ctx.logger.info(stage) }),
    request: { root, system: running.system },
  };
}

function report(ctx: CommandContext, status: LiveStatus): void {
  ctx.out.result("LiveStatus", status, (s) => {
    if (!s.active) return `no live overlay on ${s.root}`;
    const c = s.changes;
    const names = (list: readonly { name: string }[]) => list.map((p) => p.name).join(" ");
    return [
      `live overlay on ${s.root} (image ${s.base}, since ${s.startedAt})`,
      `  requested: ${s.installed.join(" ") || "-"}`,
      ...(c
        ? [
            `  ${c.added.length} added, ${c.removed.length} removed, ${c.upgraded.length} upgraded since the image`,
            ...(c.added.length > 0 ? [`  added: ${names(c.added)}`] : []),
            ...(c.removed.length > 0 ? [`  removed: ${names(c.removed)}`] : []),
          ]
        : []),
      ...(s.committed ? [`  committed as ${s.committed} (live until reboot)`] : []),
    ].join("\n");
  });
}

export const liveInstallCommand = defineCommand({
  path: ["live", "install"],
  usage: "PKG...",
  summary: "Install packages into a live overlay, without a reboot (--live-install)",
  args: [1, Number.POSITIVE_INFINITY],
  options: { ...ROOT, base: { type: "string" } },
  optionHelp: {
    ...ROOT_HELP,
    base: "the image a --root directory runs (needed when starting the overlay there)",
  },
  async run(ctx, parsed) {
    const base = stringOption(parsed, "base");
    const { aptLayer, request } = await openLive(ctx, parsed);
    report(
      ctx,
      await liveInstall(aptLayer, { ...request, packages: parsed.positionals, ...(base ? { base } : {}) }),
    );
    return 0;
  },
});

/**
 * The hand-over to bootc: on a machine booted into a Particle deployment (the settings' sysroot says
 * which), the committed image is staged for the next boot, and later upgrades follow its tag. From
 * the sysroot's own store it is staged by digest; from another store it is imported through the
 * store's OCI layout. Anywhere else (a build host, a mounted image) nothing is deployed.
 */
export async function particleDeploy(
  settings: Settings,
  storeRoot: string,
): Promise<DeployImage | undefined> {
  const sysroot = await openSysroot(settings.paths.sysroot, { runDir: settings.paths.run }).catch(
    (error: unknown) => {
      if (isParticleError(error, "SYSROOT_NOT_FOUND")) return undefined;
      throw error;
    },
  );
  if (sysroot?.booted === undefined) return undefined;
  const sameStore = path.resolve(sysroot.store.root) === path.resolve(storeRoot);
  return async (image) => {
    const tag = `${image.name}:${image.tag}`;
    const staged = await switchImage(
      sysroot,
      sameStore
        ? { reference: image.manifestDigest, trackedReference: tag }
        : {
            reference: `oci:${path.resolve(storeRoot)}:${tag}`,
            importer: ociImporter({
              authFile: settings.registry.auth_file,
              insecure: settings.registry.insecure,
              workDir: path.join(settings.paths.cache, "bootc-import"),
            }),
          },
    );
    return staged.deployment;
  };
}

export const liveCommitCommand = defineCommand({
  path: ["live", "commit"],
  usage: "MESSAGE",
  summary: "Turn the live changes into a new image and end the overlay (--live-commit)",
  args: 1,
  options: { ...ROOT, to: { type: "string" } },
  optionHelp: { ...ROOT_HELP, to: "commit as this image (default: move the running image's tag)" },
  async run(ctx, parsed) {
    const message = parsed.positionals[0] as string;
    if (!message.trim()) throw usage("--live-commit needs a non-empty message");
    const to = stringOption(parsed, "to");
    const { aptLayer, request } = await openLive(ctx, parsed);
    const deploy = await particleDeploy(ctx.settings, aptLayer.store.root);
    const result = await liveCommit(aptLayer, {
      ...request,
      message,
      ...(to ? { target: to } : {}),
      ...(deploy ? { deploy } : {}),
    });
    ctx.out.result(
      "LiveCommit",
      {
        image: `${result.image.name}:${result.image.tag}`,
        manifestDigest: result.image.manifestDigest,
        deployment: result.deployment,
      },
      (d) =>
        d.deployment === "not-attempted"
          ? `${d.image} ${d.manifestDigest}\n  deploy it for the next boot with: particle-bootc switch ${d.manifestDigest}`
          : `${d.image} ${d.manifestDigest}\n  staged ${d.deployment.staged} for the next boot`,
    );
    return 0;
  },
});

export const liveRollbackCommand = defineCommand({
  path: ["live", "rollback"],
  summary: "Discard the live overlay (--live-rollback)",
  options: ROOT,
  optionHelp: ROOT_HELP,
  async run(ctx, parsed) {
    const { aptLayer, request } = await openLive(ctx, parsed);
    report(ctx, await liveRollback(aptLayer, request));
    return 0;
  },
});

export const liveStatusCommand = defineCommand({
  path: ["live", "status"],
  summary: "Show the live overlay and its package changes (--live-status)",
  options: ROOT,
  optionHelp: ROOT_HELP,
  async run(ctx, parsed) {
    const { aptLayer, request } = await openLive(ctx, parsed);
    report(ctx, await liveStatus(aptLayer, request));
    return 0;
  },
});
