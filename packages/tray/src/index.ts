/**
 * The long-lived tray process: startup order, instance lock, ServerRunner, QuitCoordinator, window
 * launcher, tray icon (or the window-only fallback), status label, notifications, autostart, demo lab.
 */
export { startTray, runTrayForeground, TrayStartError, type TrayOptions, type RunningTray, type UiChannel } from './tray.js';
export { ServerRunner, type ServerRunnerOptions } from './server-runner.js';
export {
  QuitCoordinator,
  forceQuitMessage,
  safeCount,
  type ForceQuitAnswer,
  type ForceQuitPrompt,
  type QuitCoordinatorOptions,
  type QuitOutcome,
  type QuitReason,
  type QuitRequest,
  type QuitWorkload,
  type TeardownStep,
} from './quit-coordinator.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { formatStatusLabel, statusLabelOf, StatusTicker, type StatusSource } from './status-label.js';
export {
  NotificationCenter,
  coalescedMessage,
  detectNotificationBackend,
  type NotificationBackend,
  type NotificationCenterOptions,
  type NotificationKind,
  type OsNotification,
} from './notifications.js';
export {
  WindowLauncher,
  resolveWindowCommand,
  commandForFile,
  WINDOW_FALLBACK_MARKER,
  WINDOW_PARENT_ENV,
  type WindowExit,
  type WindowLauncherOptions,
} from './window-launcher.js';
export { buildTrayMenu, hasDesktopSession, type TrayIcon, type TrayIconFactory, type TrayMenuItem } from './tray-icon.js';
export { systrayIconFactory, trayIconPng, trayIconIco } from './systray-icon.js';
export {
  Autostart,
  setAutostart,
  launchAgentPlist,
  systemdUnit,
  xdgDesktopEntry,
  regAddArgs,
  windowsCommandLine,
  LAUNCH_AGENT_LABEL,
  LINUX_UNIT_NAME,
  XDG_DESKTOP_NAME,
  WINDOWS_RUN_KEY,
  WINDOWS_RUN_VALUE,
  type AutostartOptions,
  type AutostartState,
  type CommandRunner,
} from './autostart.js';
export { registerControlRoutes, type TrayControl } from './control-routes.js';
export { parseTrayArgs, TRAY_USAGE, type ParsedTrayArgs } from './tray-args.js';
export { ensureDemoLab, DEMO_EQUIPMENT_ID, DEMO_PROJECTS, type DemoLab } from './demo-lab.js';
export { resolveConfigSource, setupStatusOf, type ConfigSource, type ConfigSourceInput } from './config-source.js';
