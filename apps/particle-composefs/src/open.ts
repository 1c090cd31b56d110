import type { CommandContext, OptionSpecs, Parsed } from "@particle/cli-kit";
import { stringOption, usageError } from "@particle/cli-kit";
import { Store } from "@particle/composefs";

const DEFAULT_LOCK_TIMEOUT_S = 30;

/** Options every verb takes: which store, and how long a writer waits for another one. */
export const storeOptions = {
  store: { type: "string" },
  "lock-timeout": { type: "string" },
} as const satisfies OptionSpecs;

export const storeOptionHelp = {
  store: "the image store (default: paths.store from the settings)",
  "lock-timeout": "seconds to wait for another writer before failing (default 30)",
};

/** A non-negative number option, or a usage error naming it. */
export function numberOption(parsed: Parsed, name: string): number | undefined {
  const text = stringOption(parsed, name);
  return text === undefined ? undefined : nonNegative(text, `--${name}`);
}

/** Parses a non-negative number given as `what`, or throws a usage error naming it. */
export function nonNegative(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) {
    throw usageError(`${what} ${text}: expected a non-negative number`, `For example: ${what} 30`);
  }
  return value;
}

/** Opens the store named by --store or the settings; `create` makes it when missing. */
export async function openStore(
  ctx: CommandContext,
  parsed: Parsed,
  options: { create?: boolean } = {},
): Promise<Store> {
  return Store.open(stringOption(parsed, "store") ?? ctx.settings.paths.store, {
    create: options.create ?? false,
    runDir: ctx.settings.paths.run,
    // Writers hold the lock briefly (layers are built without it), so waiting beats failing.
    lockTimeoutMs: (numberOption(parsed, "lock-timeout") ?? DEFAULT_LOCK_TIMEOUT_S) * 1000,
  });
}
