export { defineCommand, type Command, type CommandContext, type GlobalOptions, type OptionSpecs, type Parsed } from "./command.js";
export { API_VERSION, createOutput, formatBytes, table, type Output } from "./output.js";
export { createProgress, type Progress, type ProgressOptions } from "./progress.js";
export { cliHelp, commandHelp, main, reportError, runCli, selectCommand, type CliIo, type CliSpec } from "./cli.js";
export { stringOption, stringList } from "./values.js";
