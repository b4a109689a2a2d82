/**
 * The window process (lifecycle.md W2-W4): handshake with the tray through server.json, the UI in a
 * Chromium-family browser in app mode, following the tray. The web UI itself lands with the UI step.
 */
export { runWindow, WINDOW_EXIT, WINDOW_FALLBACK_MARKER, WINDOW_PARENT_ENV, type WindowProcessOptions } from './process/window-process.js';
export { handshake, trayAnswers, trayStillAlive, windowStateDir, type LiveTray, type NoTray } from './process/handshake.js';
export {
  BROWSER_NAMES,
  HEADLESS_FLAGS,
  browserArgs,
  defaultBrowserCommand,
  findBrowser,
  isOn,
  profileDirOf,
  wantsHeadless,
  wellKnownBrowserPaths,
  type BrowserLookup,
} from './process/browser.js';
