import { z } from "zod";
import { errors } from "./errors.js";
import { BootEntry, type BootEntryInput, MenuOptions, type MenuOptionsInput } from "./spec.js";

/** A validated menu: entries in display order and the options that refer to them. */
export interface Menu {
  readonly entries: readonly BootEntry[];
  readonly options: MenuOptions;
}

/** Validates entries and options, checks the references between them and sorts the menu (pure). */
export function normalizeMenu(entries: readonly BootEntryInput[], options: MenuOptionsInput): Menu {
  const parsedEntries = z.array(BootEntry).min(1, "at least one entry is needed").safeParse(entries);
  if (!parsedEntries.success) throw errors.invalidEntries(z.prettifyError(parsedEntries.error));
  const parsedOptions = MenuOptions.safeParse(options);
  if (!parsedOptions.success) throw errors.invalidEntries(z.prettifyError(parsedOptions.error));
  const ids = new Set<string>();
  for (const entry of parsedEntries.data) {
    if (ids.has(entry.id))
      throw errors.invalidEntries(`the id "${entry.id}" is used twice`, { id: entry.id });
    ids.add(entry.id);
  }
  const opts = parsedOptions.data;
  for (const [what, id] of [
    ["default", opts.default],
    ["oneshot", opts.oneshot],
  ] as const) {
    if (id !== undefined && !ids.has(id))
      throw errors.invalidEntries(`the ${what} entry "${id}" is not in the list`, { id });
  }
  const sorted = [...parsedEntries.data].sort((a, b) =>
    a.sortKey === b.sortKey ? a.id.localeCompare(b.id) : a.sortKey < b.sortKey ? 1 : -1,
  );
  return { entries: sorted, options: opts };
}

/** The entry to boot when `id` has used up its tries: the first other entry without a counter, else the first other one. */
export function fallbackFor(menu: Menu, id: string): BootEntry | undefined {
  const others = menu.entries.filter((e) => e.id !== id);
  return others.find((e) => e.tries === undefined) ?? others[0];
}
