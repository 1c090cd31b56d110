import path from "node:path";
import { parseArgs } from "node:util";
import { createLogger, DEFAULT_SETTINGS, loadSettings } from "@particle/config";
import { API_VERSION, causeChain, ExitCode, isParticleError, ParticleError } from "@particle/runtime";
import type { Command, CommandContext, GlobalOptions, OptionSpecs } from "./command.js";
import { createOutput } from "./output.js";
import { createProgress } from "./progress.js";

export interface CliSpec {
  /** The binary's name, as typed. */
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  /** Runs when no verb matches (apt-layer's seed form `apt-layer BASE NEW PKG...`). */
  readonly defaultCommand?: Command;
  /** Seed-style verbs spelled as flags: `--live-install` → `["live-install"]`. */
  readonly flagAliases?: Readonly<Record<string, readonly string[]>>;
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const GLOBAL_OPTIONS: OptionSpecs = {
  json: { type: "boolean" },
  debug: { type: "boolean" },
  "log-level": { type: "string" },
  set: { type: "string", multiple: true },
  "config-root": { type: "string" },
  help: { type: "boolean", short: "h" },
};

const GLOBAL_HELP = [
  "  --json                 print one JSON document (apiVersion, kind) on stdout",
  "  --log-level LEVEL      trace, debug, info, warn, error or silent",
  "  --set KEY=VALUE        override a setting for this run (e.g. layer.format=erofs)",
  "  --config-root DIR      read config.toml and config.d/ from DIR (default /etc/particle)",
  "  --debug                show debug logs and stack traces",
  "  -h, --help             show help",
];

function commandName(spec: CliSpec, command: Command): string {
  return [spec.name, ...command.path].join(" ");
}

function optionSynopsis(name: string, option: OptionSpecs[string]): string {
  const flag = `${option.short ? `-${option.short}, ` : ""}--${name}`;
  return option.type === "string" ? `${flag} ${name.toUpperCase().replace(/-/g, "_")}` : flag;
}

export function commandHelp(spec: CliSpec, command: Command): string {
  const lines = [
    `Usage: ${commandName(spec, command)}${command.options ? " [OPTIONS]" : ""}${command.usage ? ` ${command.usage}` : ""}`,
    "",
    command.summary,
  ];
  const options = Object.entries(command.options ?? {});
  if (options.length > 0) {
    lines.push("", "Options:");
    for (const [name, option] of options) {
      lines.push(
        `  ${optionSynopsis(name, option).padEnd(28)} ${command.optionHelp?.[name] ?? ""}`.trimEnd(),
      );
    }
  }
  lines.push("", "Global options:", ...GLOBAL_HELP);
  return lines.join("\n");
}

export function cliHelp(spec: CliSpec): string {
  const width = Math.max(...spec.commands.map((c) => c.path.join(" ").length + (c.usage?.length ?? 0) + 1));
  const lines = [
    `${spec.name} ${spec.version}: ${spec.summary}`,
    "",
    `Usage: ${spec.name} COMMAND [OPTIONS]`,
    "",
    "Commands:",
  ];
  if (spec.defaultCommand)
    lines.push(`  ${(spec.defaultCommand.usage ?? "").padEnd(width)}  ${spec.defaultCommand.summary}`);
  for (const command of spec.commands) {
    lines.push(`  ${`${command.path.join(" ")} ${command.usage ?? ""}`.padEnd(width)}  ${command.summary}`);
  }
  lines.push(
    "",
    "Global options:",
    ...GLOBAL_HELP,
    "  --version              show the version",
    "",
    `Run '${spec.name} COMMAND --help' for a command's options.`,
  );
  return lines.join("\n");
}

/** Picks the command whose path is the longest prefix of argv (pure). */
export function selectCommand(
  spec: CliSpec,
  argv: readonly string[],
): { command: Command; rest: string[] } | undefined {
  const { leading, remaining } = splitLeadingGlobals(argv);
  const alias = remaining[0] === undefined ? undefined : spec.flagAliases?.[remaining[0]];
  const words = alias ? [...alias, ...remaining.slice(1)] : remaining;
  let best: Command | undefined;
  for (const command of spec.commands) {
    const matches = command.path.every((word, i) => words[i] === word);
    if (matches && command.path.length > (best?.path.length ?? 0)) best = command;
  }
  if (best) return { command: best, rest: [...leading, ...words.slice(best.path.length)] };
  if (spec.defaultCommand && words.length > 0 && !words[0]?.startsWith("-"))
    return { command: spec.defaultCommand, rest: [...leading, ...words] };
  return undefined;
}

/** Global options may come before the verb (`particle --json config show`): set them aside (pure). */
function splitLeadingGlobals(argv: readonly string[]): { leading: string[]; remaining: string[] } {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    const name = token.startsWith("--") ? token.slice(2).split("=")[0] : undefined;
    const option = name === undefined ? undefined : GLOBAL_OPTIONS[name];
    if (option === undefined || name === "help") break;
    leading.push(token);
    if (option.type === "string" && !token.includes("=") && i + 1 < argv.length)
      leading.push(argv[++i] as string);
  }
  return { leading, remaining: argv.slice(i) };
}

/** A wrong command line: code USAGE, exit code 2, and a hint saying what to type instead. */
export function usageError(message: string, hint: string): ParticleError {
  return new ParticleError({ code: "USAGE", message, hint, exit: "usage" });
}

function checkArity(command: Command, count: number, help: string): void {
  const [min, max] =
    typeof command.args === "number" ? [command.args, command.args] : (command.args ?? [0, 0]);
  if (count < min || count > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw usageError(`expected ${expected} argument${max === 1 ? "" : "s"}, got ${count}`, help);
  }
}

function parseOverrides(items: readonly string[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0)
      throw usageError(`--set ${item}: expected KEY=VALUE`, "For example: --set layer.format=erofs");
    overrides[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return overrides;
}

/** Prints an error the way every Particle CLI does, and returns the exit code. */
export function reportError(error: unknown, io: CliIo, options: { json: boolean; debug: boolean }): number {
  const particle = isParticleError(error);
  const code = particle ? error.exitCode : ExitCode.failure;
  if (options.json) {
    const body = particle
      ? error.toJSON()
      : {
          code: "INTERNAL",
          message: error instanceof Error ? error.message : String(error),
          context: {},
          causes: causeChain(error).slice(1),
        };
    io.stdout.write(`${JSON.stringify({ apiVersion: API_VERSION, kind: "Error", error: body }, null, 2)}\n`);
  }
  const chain = causeChain(error);
  const lines = [`error: ${particle ? "" : "internal error: "}${chain[0] ?? "unknown error"}`];
  for (const cause of chain.slice(1)) if (!chain[0]?.includes(cause)) lines.push(`  caused by: ${cause}`);
  if (particle && error.hint) lines.push(`hint: ${error.hint}`);
  if (options.debug && error instanceof Error && error.stack) lines.push(error.stack);
  else if (!particle) lines.push("hint: this is a bug; rerun with --debug and report the output");
  io.stderr.write(`${lines.join("\n")}\n`);
  return code;
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function runCli(
  spec: CliSpec,
  argv: readonly string[],
  io: CliIo = defaultIo(),
): Promise<number> {
  const wantsJson = argv.includes("--json");
  const wantsDebug = argv.includes("--debug");
  try {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      io.stdout.write(`${cliHelp(spec)}\n`);
      return argv.length === 0 && !spec.defaultCommand ? ExitCode.usage : 0;
    }
    if (argv[0] === "--version") {
      io.stdout.write(`${spec.name} ${spec.version}\n`);
      return 0;
    }
    const selected = selectCommand(spec, argv);
    if (!selected)
      throw usageError(`unknown command "${argv[0]}"`, `Run '${spec.name} --help' for the list of commands.`);
    const { command, rest } = selected;
    const help = `Run '${commandName(spec, command)} --help' for usage.`;
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw usageError((error as Error).message.split("\n")[0] ?? "invalid arguments", help);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    if (values.help) {
      io.stdout.write(`${commandHelp(spec, command)}\n`);
      return 0;
    }
    checkArity(command, parsed.positionals.length, help);
    const globals: GlobalOptions = {
      json: Boolean(values.json),
      debug: Boolean(values.debug),
      logLevel: values["log-level"] as string | undefined,
      overrides: parseOverrides((values.set as string[] | undefined) ?? []),
    };
    const configRoot = values["config-root"] as string | undefined;
    const settings = await loadSettings({
      env: io.env,
      overrides: globals.overrides,
      ...(configRoot ? { configRoot } : {}),
    }).then(
      (loaded) => loaded.settings,
      (error: unknown) => {
        if (command.toleratesBrokenConfig && isParticleError(error) && error.code.startsWith("CONFIG_"))
          return DEFAULT_SETTINGS;
        throw error;
      },
    );
    const level = (globals.logLevel ?? (globals.debug ? "debug" : settings.logging.level)) as "info";
    const logger = createLogger({
      name: spec.name,
      level,
      file: settings.logging.file ? path.join(settings.paths.log, settings.logging.file) : undefined,
      stderr: settings.logging.stderr,
      stderrLevel: globals.json && !globals.debug ? "warn" : level,
      stderrStream: io.stderr,
      env: io.env,
    });
    const ctx: CommandContext = {
      globals,
      settings,
      logger,
      out: createOutput(globals.json, io.stdout),
      progress: (options) => createProgress(options, !globals.json, io.stderr),
    };
    logger.debug({ argv }, "command start");
    const code = (await command.run(ctx, { values, positionals: parsed.positionals })) ?? 0;
    logger.debug({ code }, "command end");
    return code;
  } catch (error) {
    return reportError(error, io, { json: wantsJson, debug: wantsDebug });
  }
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The `main` of a CLI binary. */
export async function main(spec: CliSpec): Promise<void> {
  process.exitCode = await runCli(spec, process.argv.slice(2));
}
