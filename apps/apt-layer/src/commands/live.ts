import path from "node:path";
import {
  type DeployImage,
  type LiveStatus,
  liveCommit,
  liveInstall,
  liveRollback,
  liveStatus,
} from "@particle/apt-layer";
import { ociImporter, openSysroot, switchImage } from "@particle/bootc";
import { type CommandContext, defineCommand, stringOption } from "@particle/cli-kit";
import type { Settings } from "@particle/config";
import { isParticleError } from "@particle/runtime";
import { open, usage } from "../open.js";

const ROOT = { root: { type: "string" } } as const;
const ROOT_HELP = {
  root: "the root filesystem the live overlay covers (a mounted image; default /, which is not supported yet)",
};

function rootOf(parsed: { values: Readonly<Record<string, unknown>> }): string {
  return typeof parsed.values.root === "string" ? parsed.values.root : "/";
}

function report(ctx: CommandContext, status: LiveStatus): void {
  ctx.out.result("LiveStatus", status, (s) => {
    if (!s.active) return `no live overlay on ${s.root}`;
    const c = s.changes;
    return [
      `live overlay on ${s.root} (image ${s.base}, since ${s.startedAt})`,
      `  requested: ${s.installed.join(" ") || "-"}`,
      ...(c
        ? [
            `  ${c.added.length} added, ${c.removed.length} removed, ${c.upgraded.length} upgraded since the image`,
          ]
        : []),
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
    base: "the image the root runs (needed when starting the overlay)",
  },
  async run(ctx, parsed) {
    const base = stringOption(parsed, "base");
    report(
      ctx,
      await liveInstall(await open(ctx), {
        root: rootOf(parsed),
        packages: parsed.positionals,
        ...(base ? { base } : {}),
      }),
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
    const aptLayer = await open(ctx);
    const deploy = await particleDeploy(ctx.settings, aptLayer.store.root);
    const result = await liveCommit(aptLayer, {
      root: rootOf(parsed),
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
    report(ctx, await liveRollback(await open(ctx), rootOf(parsed)));
    return 0;
  },
});

export const liveStatusCommand = defineCommand({
  path: ["live", "status"],
  summary: "Show the live overlay and its package changes (--live-status)",
  options: ROOT,
  optionHelp: ROOT_HELP,
  async run(ctx, parsed) {
    report(ctx, await liveStatus(await open(ctx), rootOf(parsed)));
    return 0;
  },
});
