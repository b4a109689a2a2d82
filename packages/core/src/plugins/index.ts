/**
 * The plugin system's host side (§6): manifests, the registry, dispatch and the host that runs
 * plugin workers for the creation controller. Plugin authors use `@exlab/plugin-sdk` instead.
 */
export {
  parseManifest,
  loadManifest,
  MANIFEST_REJECTION_CODES,
  type PluginManifest,
  type PluginIsolation,
  type ManifestRejection,
  type ManifestRejectionCode,
  type ManifestResult,
  type ManifestOptions,
} from './manifest.js';
export {
  PluginRegistry,
  BUNDLED_PLUGINS_DIR,
  EXAMPLE_PLUGINS_DIR,
  type PluginRecord,
  type PluginRejection,
  type PluginReloadResult,
  type PluginRegistryOptions,
  type PluginSource,
} from './registry.js';
export { selectPlugins, dispatchKey, pluginMatches, type PluginDispatch, type SelectedPlugin } from './dispatch.js';
export {
  PluginHost,
  type PluginHostOptions,
  type PluginPassContext,
  type PluginPassOptions,
  type PluginPassResult,
  type PluginInputPrompt,
  type PluginInputField,
} from './host.js';
export { isForbiddenPath } from './tree-snapshot.js';
export { verdictOf, type PluginVerdict } from './outcome.js';
export { REAL_TIMERS, type PluginTimers, type WorkerExit, type WorkerFailure } from './worker-process.js';
export {
  resolveWorkerRuntime,
  workerRuntimeFor,
  workerEnv,
  withCompileCache,
  probeIsolationSupport,
  type WorkerRuntime,
  type IsolationSupport,
  type AppliedIsolation,
} from './worker-launch.js';
