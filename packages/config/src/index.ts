export { removeConfigValue, writeConfigValue } from "./edit.js";
export { allKeys, coerceValue, envName, getSetting, type KeyPath, parseKey, parseSize } from "./keys.js";
export {
  configFiles,
  defaultConfigRoot,
  type LoadedSettings,
  type LoadOptions,
  layerFromEnv,
  layerFromOverrides,
  loadSettings,
  mergeLayers,
  parseConfigText,
  type SettingsSource,
  validateLayer,
} from "./load.js";
export {
  createLogger,
  formatLogLine,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  resolveStderrFormat,
  type StderrFormat,
} from "./logging.js";
export {
  globToRegExp,
  parseRotatedName,
  type RotateOptions,
  type RotateReport,
  rotateLogs,
  rotationStamp,
  selectForDeletion,
} from "./logrotate.js";
export {
  DEFAULT_SETTINGS,
  type SectionName,
  Settings,
  SettingsLayer,
  sections,
} from "./spec.js";
export { setTomlValue, tomlLiteral, unsetTomlValue } from "./toml-edit.js";
