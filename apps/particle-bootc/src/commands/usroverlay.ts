import { usrOverlay } from "@particle/bootc";
import { defineCommand } from "@particle/cli-kit";

export const usroverlayCommand = defineCommand({
  path: ["usroverlay"],
  summary: "Make /usr writable until the next reboot (a tmpfs overlay; changes are lost at reboot)",
  async run(ctx) {
    const result = await usrOverlay({ runDir: `${ctx.settings.paths.run}/usr-overlay` });
    ctx.out.result("UsrOverlay", result, (r) =>
      r.alreadyActive
        ? `${r.usr} is already writable`
        : `${r.usr} is writable until reboot (changes in ${r.upper})`,
    );
    return 0;
  },
});
