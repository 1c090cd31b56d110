import { withRecoveredState } from "@particle/apt-layer";
import { defineCommand } from "@particle/cli-kit";
import { open } from "../open.js";

export const recoverCommand = defineCommand({
  path: ["recover"],
  summary: "Clean up after an interrupted build (mounts, scratch files); every build does this first",
  async run(ctx) {
    await withRecoveredState(await open(ctx), async () => {});
    ctx.out.result("Recovery", { recovered: true }, () => "nothing left over");
    return 0;
  },
});
