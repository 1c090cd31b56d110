import { type AptLayerContext, openAptLayer } from "@particle/apt-layer";
import type { CommandContext } from "@particle/cli-kit";
import { ParticleError } from "@particle/runtime";

/** The library context for a command: settings from the CLI, stages logged as progress lines. */
export function open(ctx: CommandContext, options: { createStore?: boolean } = {}): Promise<AptLayerContext> {
  return openAptLayer(ctx.settings, { onStage: (stage) => ctx.logger.info(stage), ...options });
}

export function usage(message: string): ParticleError {
  return new ParticleError({
    code: "USAGE",
    message,
    hint: "Run 'apt-layer COMMAND --help' for usage.",
    exit: "usage",
  });
}
