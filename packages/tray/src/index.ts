/** The long-lived tray process: startup order, instance lock, ServerRunner, discovery file, demo lab. */
export { startTray, runTrayForeground, TrayStartError, type TrayOptions, type RunningTray } from './tray.js';
export { ServerRunner, type ServerRunnerOptions } from './server-runner.js';
export { ensureDemoLab, DEMO_EQUIPMENT_ID, DEMO_PROJECTS, type DemoLab } from './demo-lab.js';
export { resolveConfigSource, setupStatusOf, type ConfigSource, type ConfigSourceInput } from './config-source.js';
