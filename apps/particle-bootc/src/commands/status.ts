import { type BootcHost, type DeploymentStatus, status } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

function line(role: string, d: DeploymentStatus | null): string | undefined {
  if (d === null) return undefined;
  const version = d.image.version ? ` version ${d.image.version}` : "";
  return `${role.padEnd(9)} ${d.stateroot}/${d.id}  ${d.image.reference}${version}  ${d.image.manifestDigest.slice(0, 19)}${d.pinned ? "  (pinned)" : ""}`;
}

export function renderHost(host: BootcHost): string {
  const s = host.status;
  const lines = [
    line("booted", s.booted),
    s.default && s.default.id !== s.booted?.id ? line("default", s.default) : undefined,
    line("staged", s.staged),
    line("rollback", s.rollback),
    ...s.otherDeployments.map((d) => line("other", d)),
  ].filter((l): l is string => l !== undefined);
  return lines.length > 0 ? lines.join("\n") : "no deployments";
}

export const statusCommand = defineCommand({
  path: ["status"],
  summary: "Show the booted, staged, default and rollback deployments",
  options: sysrootOption,
  optionHelp: sysrootHelp,
  async run(ctx, parsed) {
    const host = await status(await sysrootOf(ctx, parsed));
    const { apiVersion: _a, kind: _k, ...body } = host;
    ctx.out.result("BootcHost", body, () => renderHost(host));
    return 0;
  },
});
