import { aptLayerDirs, listTenants, saveTenant, statePaths } from "@particle/apt-layer";
import { defineCommand, formatBytes, stringOption, table } from "@particle/cli-kit";
import { parseSize } from "@particle/config";
import { open, usage } from "../open.js";

export const tenantAddCommand = defineCommand({
  path: ["tenant", "add"],
  usage: "NAME",
  summary: "Create or change a tenant: images NAME/... owned by a group, with a byte quota",
  args: 1,
  options: { quota: { type: "string" }, group: { type: "string" } },
  optionHelp: {
    quota: "total size of the tenant's layers, e.g. 20GiB (required)",
    group: "Unix group whose members may build the tenant's images (required)",
  },
  async run(ctx, parsed) {
    const quota = stringOption(parsed, "quota");
    const group = stringOption(parsed, "group");
    if (!quota || !group) throw usage("tenant add needs --quota SIZE and --group GROUP");
    const name = parsed.positionals[0] as string;
    const file = statePaths(aptLayerDirs(ctx.settings)).tenants;
    const tenants = await saveTenant(file, name, { quotaBytes: parseSize(quota), group });
    ctx.out.result(
      "Tenant",
      { name, ...tenants.tenants[name] },
      (d) => `tenant ${d.name}: group ${d.group}, quota ${formatBytes(d.quotaBytes ?? 0)}`,
    );
    return 0;
  },
});

export const tenantListCommand = defineCommand({
  path: ["tenant", "list"],
  summary: "List tenants with their group, quota and usage",
  async run(ctx) {
    const file = statePaths(aptLayerDirs(ctx.settings)).tenants;
    const rows = await listTenants((await open(ctx)).store, file);
    ctx.out.result("TenantList", { tenants: rows }, (d) =>
      table(
        ["TENANT", "GROUP", "USED", "QUOTA"],
        d.tenants.map((t) => [t.name, t.group, formatBytes(t.usedBytes), formatBytes(t.quotaBytes)]),
      ),
    );
    return 0;
  },
});
