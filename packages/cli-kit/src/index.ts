export {
  type CliIo,
  type CliSpec,
  cliHelp,
  commandHelp,
  main,
  reportError,
  runCli,
  selectCommand,
  usageError,
} from "./cli.js";
export {
  type Command,
  type CommandContext,
  defineCommand,
  type GlobalOptions,
  type OptionSpecs,
  type Parsed,
} from "./command.js";
export { createOutput, formatBytes, type Output, table } from "./output.js";
export { createProgress, type Progress, type ProgressOptions } from "./progress.js";
export { stringList, stringOption } from "./values.js";
