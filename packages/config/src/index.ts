export { DEFAULT_SETTINGS, Settings, SettingsLayer, jsonSchemas, sections, type SectionName } from "./spec.js";
export { allKeys, coerceValue, envName, getSetting, parseKey, parseSize, type KeyPath } from "./keys.js";
export {
  configFiles,
  defaultConfigRoot,
  layerFromEnv,
  layerFromOverrides,
  loadSettings,
  mergeLayers,
  parseConfigText,
  validateLayer,
  type LoadOptions,
  type LoadedSettings,
  type SettingsSource,
} from "./load.js";
export { setTomlValue, tomlLiteral, unsetTomlValue } from "./toml-edit.js";
export { removeConfigValue, writeConfigValue } from "./edit.js";
export { createLogger, formatLogLine, resolveStderrFormat, type LogLevel, type Logger, type LoggerOptions, type StderrFormat } from "./logging.js";
export {
  globToRegExp,
  parseRotatedName,
  rotateLogs,
  rotationStamp,
  selectForDeletion,
  type RotateOptions,
  type RotateReport,
} from "./logrotate.js";
