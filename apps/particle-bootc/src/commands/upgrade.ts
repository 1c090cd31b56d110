import { finalizesNow, upgrade } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { run } from "@particle/runtime";
import { importerOf, sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

/** Exit code of `upgrade` when the tracked image has not changed (as `systemctl` units expect 77 for "skipped"). */
export const NO_UPDATE_EXIT = 77;

export const upgradeCommand = defineCommand({
  path: ["upgrade"],
  summary: `Fetch and stage the newer image of the tracked reference (exit ${NO_UPDATE_EXIT}: no update)`,
  options: { ...sysrootOption, check: { type: "boolean" }, apply: { type: "boolean" } },
  optionHelp: {
    ...sysrootHelp,
    check: "only say whether an update exists",
    apply: "make it the default now and reboot",
  },
  async run(ctx, parsed) {
    const sysroot = await sysrootOf(ctx, parsed);
    const apply = Boolean(parsed.values.apply);
    const result = await upgrade(sysroot, {
      importer: importerOf(ctx),
      check: Boolean(parsed.values.check),
      finalize: finalizesNow(sysroot, apply),
    });
    ctx.out.result("Upgrade", result, (r) => {
      switch (r.outcome) {
        case "none":
          return `no update: ${r.reference} is still ${r.current.slice(0, 19)}`;
        case "available":
          return `update available: ${r.reference} ${r.current.slice(0, 19)} -> ${r.latest.slice(0, 19)}`;
        case "staged":
          return `staged ${r.deployment}: it becomes the default at shutdown`;
        default:
          return `deployed ${r.deployment}: it boots next`;
      }
    });
    if (result.outcome === "finalized" && apply && sysroot.booted !== undefined)
      await run("systemctl", ["reboot"]);
    return result.outcome === "none" ? NO_UPDATE_EXIT : 0;
  },
});
