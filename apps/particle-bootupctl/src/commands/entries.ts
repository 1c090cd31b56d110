import { loadBootEntriesDocument, markBootSuccessful, withTarget, writeBootEntries } from "@particle/bootupd";
import { defineCommand, stringOption } from "@particle/cli-kit";
import { lockTimeoutMs, requiredOption, targetHelp, targetInput, targetOptions } from "./options.js";

export const writeEntriesCommand = defineCommand({
  path: ["write-entries"],
  summary: "Replace the boot menu with the entries of a BootEntries JSON file (default, one-shot, tries)",
  options: { ...targetOptions, entries: { type: "string" }, efivars: { type: "string" } },
  optionHelp: {
    ...targetHelp,
    entries: "BootEntries document (schema: @particle/bootupd/schemas/boot-entries.schema.json)",
    efivars: "efivarfs directory, for a systemd-boot one-shot entry (/sys/firmware/efi/efivars)",
  },
  async run(ctx, parsed) {
    const doc = await loadBootEntriesDocument(requiredOption(parsed, "entries", "menu.json"));
    const efivars = stringOption(parsed, "efivars");
    const report = await withTarget(
      { ...targetInput(parsed), ...(efivars ? { efivars } : {}) },
      { write: true },
      (target) =>
        writeBootEntries(target, doc.entries, {
          ...doc.menu,
          ...(doc.backend ? { backend: doc.backend } : {}),
          lockTimeoutMs: lockTimeoutMs(parsed),
        }),
    );
    ctx.out.result(
      "BootEntriesWritten",
      report,
      (r) =>
        `${r.backend}: wrote ${r.entries} entries${r.atomic ? "" : " (entry files first, then loader.conf)"}`,
    );
    return 0;
  },
});

export const markGoodCommand = defineCommand({
  path: ["mark-good"],
  summary: "Record that an entry booted well, ending its boot counting (run from the booted system)",
  usage: "ENTRY_ID",
  args: 1,
  options: targetOptions,
  optionHelp: targetHelp,
  async run(ctx, parsed) {
    const id = parsed.positionals[0] as string;
    await withTarget(targetInput(parsed), { write: true }, (target) =>
      markBootSuccessful(target, id, { lockTimeoutMs: lockTimeoutMs(parsed) }),
    );
    ctx.out.result("BootEntryMarkedGood", { id }, () => `${id}: boot marked good`);
    return 0;
  },
});
