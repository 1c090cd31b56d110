import { setPinned } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

function pinVerb(pinned: boolean) {
  return defineCommand({
    path: [pinned ? "pin" : "unpin"],
    summary: pinned
      ? "Keep a deployment (default: the booted one) through cleanups"
      : "Let cleanup remove a deployment again",
    usage: "[STATEROOT/ID]",
    args: [0, 1],
    options: sysrootOption,
    optionHelp: sysrootHelp,
    async run(ctx, parsed) {
      const result = await setPinned(await sysrootOf(ctx, parsed), pinned, parsed.positionals[0]);
      ctx.out.result("Pin", result, (r) => `${r.deployment} ${r.pinned ? "pinned" : "unpinned"}`);
      return 0;
    },
  });
}

export const pinCommands = [pinVerb(true), pinVerb(false)];
