/** config.yaml (§9 + redesign §8): load with located errors, comment-preserving save, redaction and the setup state. */
export { loadConfig, parseConfigText, configDigest, formatConfigIssue, type LoadedConfig } from './config-loader.js';
export { saveConfig, renderConfigText, type SaveConfigOptions, type SavedConfig } from './config-writer.js';
export { redactConfig, redactSecrets } from './redact-config.js';
export { evaluateSetupState, type SetupStatus, type SetupMissing, type SetupStateInput } from './setup-state.js';
export { findEquipment } from './equipment-lookup.js';
export {
  ConfigSchema,
  EquipmentConfigSchema,
  defaultConfig,
  validateConfig,
  type Config,
  type ConfigInput,
  type EquipmentConfig,
  type NasTransport,
} from '../schemas/config.js';
