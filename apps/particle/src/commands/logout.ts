import { defineCommand } from "@particle/cli-kit";
import { logout } from "@particle/oci";

export const logoutCommand = defineCommand({
  path: ["logout"],
  summary: "Remove stored registry credentials",
  usage: "HOST",
  args: 1,
  async run(ctx, parsed) {
    const host = (parsed.positionals[0] as string).replace(/^(docker|https?):\/\//, "").replace(/\/.*$/, "");
    const result = await logout({ host, authFile: ctx.settings.registry.auth_file });
    ctx.logger.info({ host }, "logged out");
    ctx.out.result("RegistryLogout", result, (r) => `removed credentials for ${r.host} from ${r.authFile}`);
    return 0;
  },
});
