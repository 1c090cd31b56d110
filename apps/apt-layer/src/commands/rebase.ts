import { rebaseImage } from "@particle/apt-layer";
import { defineCommand, stringOption } from "@particle/cli-kit";
import { open } from "../open.js";

export const rebaseCommand = defineCommand({
  path: ["rebase"],
  usage: "IMAGE NEW_BASE",
  summary: "Re-apply an image's requested packages on a new base (the tag moves unless --to)",
  args: 2,
  options: { to: { type: "string" } },
  optionHelp: {
    to: "commit as this image instead of moving IMAGE's tag",
  },
  async run(ctx, parsed) {
    const [image, newBase] = parsed.positionals as [string, string];
    const to = stringOption(parsed, "to");
    const result = await rebaseImage(await open(ctx), {
      image,
      newBase,
      ...(to ? { target: to } : {}),
    });
    ctx.out.result(
      "RebaseResult",
      {
        image: `${result.image.name}:${result.image.tag}`,
        manifestDigest: result.image.manifestDigest,
        base: newBase,
      },
      (d) => `${d.image} ${d.manifestDigest} (on ${d.base})`,
    );
    return 0;
  },
});
