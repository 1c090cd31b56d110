import type { ParseArgsConfig } from "node:util";
import type { Logger, Settings } from "@particle/config";
import type { Output } from "./output.js";
import type { Progress, ProgressOptions } from "./progress.js";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

export interface GlobalOptions {
  /** Print one versioned JSON document on stdout instead of text. */
  readonly json: boolean;
  /** Show stack traces and debug logs. */
  readonly debug: boolean;
  readonly logLevel: string | undefined;
  /** Settings overrides from `--set section.key=value`. */
  readonly overrides: Readonly<Record<string, string>>;
}

export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly out: Output;
  progress(options: ProgressOptions): Progress;
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** One verb of a CLI: parses its flags into a typed call of a library function. */
export interface Command {
  /** Words that select it, e.g. `["config", "set"]`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Positional synopsis, e.g. `KEY VALUE`. */
  readonly usage?: string;
  readonly options?: OptionSpecs;
  /** Help text for each option (same keys as `options`). */
  readonly optionHelp?: Readonly<Record<string, string>>;
  /** Exact number of positionals, or a [min, max] range (max Infinity for variadic). @default 0 */
  readonly args?: number | readonly [number, number];
  /**
   * Runs even when the configuration is invalid (with built-in defaults), so that `config validate`
   * and `config set` can diagnose and repair it. @default false
   */
  readonly toleratesBrokenConfig?: boolean;
  /** Returns the exit code (default 0). */
  run(ctx: CommandContext, parsed: Parsed): Promise<number | undefined>;
}

export function defineCommand(command: Command): Command {
  return command;
}
