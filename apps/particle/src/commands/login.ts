import { defineCommand, stringOption } from "@particle/cli-kit";
import { login } from "@particle/oci";
import { ParticleError } from "@particle/runtime";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export const loginCommand = defineCommand({
  path: ["login"],
  summary: "Store registry credentials (checked against the registry; file mode 0600)",
  usage: "HOST",
  args: 1,
  options: { username: { type: "string", short: "u" }, "password-stdin": { type: "boolean" } },
  optionHelp: {
    username: "user name",
    "password-stdin": "read the password from standard input (the only way: never on the command line)",
  },
  async run(ctx, parsed) {
    const host = (parsed.positionals[0] as string).replace(/^(docker|https?):\/\//, "").replace(/\/.*$/, "");
    const username = stringOption(parsed, "username");
    if (!username || !parsed.values["password-stdin"]) {
      throw new ParticleError({
        code: "USAGE",
        message: "login needs --username and --password-stdin",
        hint: `For example: printf '%s' "$TOKEN" | particle login ${host} -u USER --password-stdin`,
        exit: "usage",
      });
    }
    const password = await readStdin();
    const result = await login({
      host,
      username,
      password,
      authFile: ctx.settings.registry.auth_file,
      insecure: ctx.settings.registry.insecure,
      logger: ctx.logger,
    });
    ctx.logger.info({ host, username }, "logged in");
    ctx.out.result(
      "RegistryLogin",
      result,
      (r) => `logged in to ${r.host} as ${r.username} (credentials in ${r.authFile})`,
    );
    return 0;
  },
});
