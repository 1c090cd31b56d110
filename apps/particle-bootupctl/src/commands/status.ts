import { type BootupStatus, bootloaderStatus, withTarget } from "@particle/bootupd";
import { defineCommand, table } from "@particle/cli-kit";
import { sourceOf, targetHelp, targetInput, targetOptions } from "./options.js";

function render(status: BootupStatus): string {
  const lines: string[] = [];
  if (status.components.length === 0) {
    lines.push("no bootloader is recorded");
    if (status.adoptable.length > 0)
      lines.push(`adoptable: ${status.adoptable.join(", ")} (run adopt-and-update)`);
  } else {
    const rows = status.components.map((c) => [
      c.backend,
      Object.entries(c.installed)
        .map(([n, v]) => `${n}=${v}`)
        .join(" "),
      c.updateAvailable ? "update available" : "current",
      c.secureBoot ? "yes" : "no",
      String(c.files),
    ]);
    lines.push(table(["COMPONENT", "INSTALLED", "STATE", "SECURE BOOT", "FILES"], rows));
  }
  const carried = status.installable.filter((i) => i.available).map((i) => i.backend);
  lines.push(`the image can install: ${carried.length > 0 ? carried.join(", ") : "no bootloader"}`);
  for (const t of status.interrupted)
    lines.push(
      `interrupted ${t.op} ${t.id} (started ${t.startedAt}, last step: ${t.steps.at(-1) ?? "none"}): run update to finish it`,
    );
  return lines.join("\n");
}

export const statusCommand = defineCommand({
  path: ["status"],
  summary: "Show the installed bootloader, its versions, available updates and interrupted updates",
  options: { ...targetOptions, source: { type: "string" } },
  optionHelp: { ...targetHelp, source: "root of the image to compare versions with (default /)" },
  async run(ctx, parsed) {
    const status = await withTarget(targetInput(parsed), { write: false }, (target) =>
      bootloaderStatus(target, { source: sourceOf(parsed) }),
    );
    ctx.out.result("BootloaderStatus", status, render);
    return 0;
  },
});
