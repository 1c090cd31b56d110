import path from "node:path";
import { defineCommand, stringOption } from "@particle/cli-kit";
import {
  configFiles,
  defaultConfigRoot,
  getSetting,
  loadSettings,
  parseConfigText,
  parseKey,
  removeConfigValue,
  type Settings,
  tomlLiteral,
  writeConfigValue,
} from "@particle/config";
import { ParticleError, readFileIfExists } from "@particle/runtime";

function configRoot(values: Record<string, unknown>): string {
  return (values["config-root"] as string | undefined) ?? defaultConfigRoot();
}

function renderSettings(settings: Settings): string {
  return Object.entries(settings)
    .map(([section, values]) =>
      [`[${section}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${tomlLiteral(v)}`)].join("\n"),
    )
    .join("\n\n");
}

const fileOption = { file: { type: "string" } } as const;
const fileHelp = {
  file: "config file to edit (default: config.toml in the config root; may name a drop-in)",
};

export const configCommands = [
  defineCommand({
    path: ["config", "show"],
    summary: "Show the effective settings and the files they came from",
    async run(ctx, parsed) {
      const { sources } = await loadSettings({
        overrides: ctx.globals.overrides,
        configRoot: configRoot(parsed.values),
      });
      ctx.out.result(
        "Settings",
        { settings: ctx.settings, sources: sources.map((s) => ({ kind: s.kind, name: s.name })) },
        (doc) =>
          `${doc.sources.map((s) => `# ${s.kind}: ${s.name}`).join("\n")}\n${renderSettings(doc.settings)}`,
      );
      return 0;
    },
  }),
  defineCommand({
    path: ["config", "get"],
    summary: "Print the effective value of one setting",
    usage: "KEY",
    args: 1,
    async run(ctx, { positionals }) {
      const key = positionals[0] as string;
      const value = getSetting(ctx.settings, parseKey(key));
      ctx.out.result("Setting", { key, value }, () =>
        Array.isArray(value) ? value.join(",") : String(value),
      );
      return 0;
    },
  }),
  defineCommand({
    path: ["config", "set"],
    toleratesBrokenConfig: true,
    summary: "Set a value in a config file (validated, atomic; comments and order are kept)",
    usage: "KEY VALUE",
    args: 2,
    options: fileOption,
    optionHelp: fileHelp,
    async run(ctx, parsed) {
      const [key, text] = parsed.positionals as [string, string];
      const file = stringOption(parsed, "file") ?? path.join(configRoot(parsed.values), "config.toml");
      const value = await writeConfigValue(file, key, text);
      ctx.logger.info({ key, file }, "setting changed");
      ctx.out.result(
        "SettingChanged",
        { key, value, file },
        () => `${key} = ${tomlLiteral(value)} (${file})`,
      );
      return 0;
    },
  }),
  defineCommand({
    path: ["config", "unset"],
    toleratesBrokenConfig: true,
    summary: "Remove a value from a config file, restoring the default or lower layers",
    usage: "KEY",
    args: 1,
    options: fileOption,
    optionHelp: fileHelp,
    async run(ctx, parsed) {
      const key = parsed.positionals[0] as string;
      const file = stringOption(parsed, "file") ?? path.join(configRoot(parsed.values), "config.toml");
      const removed = await removeConfigValue(file, key);
      ctx.out.result("SettingRemoved", { key, file, removed }, () =>
        removed ? `removed ${key} from ${file}` : `${key} is not set in ${file}`,
      );
      return 0;
    },
  }),
  defineCommand({
    path: ["config", "validate"],
    toleratesBrokenConfig: true,
    summary: "Check a config file, or every file of the configuration",
    usage: "[FILE]",
    args: [0, 1],
    async run(ctx, parsed) {
      const files = parsed.positionals[0]
        ? [parsed.positionals[0]]
        : await configFiles(configRoot(parsed.values));
      const checked: string[] = [];
      for (const file of files) {
        const text = await readFileIfExists(file);
        if (text === undefined) {
          if (parsed.positionals[0]) {
            throw new ParticleError({
              code: "NOT_FOUND",
              message: `${file} does not exist`,
              context: { path: file },
              exit: "notFound",
            });
          }
          continue;
        }
        parseConfigText(text, file);
        checked.push(file);
      }
      ctx.out.result("ConfigValidation", { valid: true, files: checked }, (doc) =>
        doc.files.length === 0
          ? "no config files (built-in defaults apply)"
          : doc.files.map((f) => `${f}: valid`).join("\n"),
      );
      return 0;
    },
  }),
];
