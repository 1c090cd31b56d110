import { finalizesNow, switchImage } from "@particle/bootc";
import { defineCommand, stringList, stringOption } from "@particle/cli-kit";
import { importerOf, sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

const options = {
  ...sysrootOption,
  stateroot: { type: "string" },
  karg: { type: "string", multiple: true },
  apply: { type: "boolean" },
} as const;
const optionHelp = {
  ...sysrootHelp,
  stateroot: 'stateroot of the new deployment (default: the booted one\'s, else "default")',
  karg: "kernel argument of the new deployment (repeatable; default: the current deployment's)",
  apply: "make it the default now instead of at shutdown",
};

function verb(name: "deploy" | "switch", summary: string) {
  return defineCommand({
    path: [name],
    summary,
    usage: "IMAGE",
    args: 1,
    options,
    optionHelp,
    async run(ctx, parsed) {
      const sysroot = await sysrootOf(ctx, parsed);
      const kargs = stringList(parsed, "karg");
      const stateroot = stringOption(parsed, "stateroot");
      // deploy (the seed form) takes effect at once, as does --apply.
      const finalize = finalizesNow(sysroot, name === "deploy" || Boolean(parsed.values.apply));
      const result = await switchImage(sysroot, {
        reference: parsed.positionals[0] as string,
        importer: importerOf(ctx),
        finalize,
        ...(stateroot ? { stateroot } : {}),
        ...(kargs.length > 0 ? { kargs } : {}),
      });
      ctx.logger.info(
        { deployment: result.deployment, image: result.origin.image.manifestDigest },
        `${name} done`,
      );
      ctx.out.result(
        "Deployment",
        { deployment: result.deployment, finalized: finalize, origin: result.origin },
        (d) =>
          d.finalized
            ? `deployed ${d.deployment}: it boots next`
            : `staged ${d.deployment}: it becomes the default at shutdown`,
      );
      return 0;
    },
  });
}

export const deployCommand = verb(
  "deploy",
  "Deploy an image (oci:DIR:TAG, docker://…, or a store name:tag); it boots next",
);
export const switchCommand = verb(
  "switch",
  "Follow another image: stage it, to become the default at shutdown",
);
