import { APP_DISPLAY_NAME } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import type { Logger } from '@exlab/core/logging';

/** One entry of the tray menu (lifecycle.md I1). */
export type TrayMenuItem =
  { kind: 'action'; label: string; default?: boolean; run: () => void } | { kind: 'status'; label: string } | { kind: 'separator' };

/** What the menu's entries do. */
export interface TrayMenuActions {
  /** Open (the default action): spawn or focus the window. */
  open(): unknown;
  /** Quit ExLab-Wizard: the graceful shutdown. */
  quit(): unknown;
}

/** Wraps a callback so a throw or a rejection is logged and swallowed (I1). */
function guarded(name: string, action: () => unknown, logger: Logger): () => void {
  return () => {
    try {
      const result = action();
      if (result instanceof Promise) result.catch((error: unknown) => logger.warn(`tray menu ${name} failed: ${describeError(error)}`));
    } catch (error) {
      logger.warn(`tray menu ${name} failed: ${describeError(error)}`);
    }
  };
}

/** The menu (I1): Open (default) / `Status: <label>` (disabled) / separator / Quit ExLab-Wizard. */
export function buildTrayMenu(status: string, actions: TrayMenuActions, logger: Logger): TrayMenuItem[] {
  return [
    { kind: 'action', label: 'Open', default: true, run: guarded('Open', () => actions.open(), logger) },
    { kind: 'status', label: `Status: ${status}` },
    { kind: 'separator' },
    { kind: 'action', label: `Quit ${APP_DISPLAY_NAME}`, run: guarded('Quit', () => actions.quit(), logger) },
  ];
}

/** A tray icon on the desktop. */
export interface TrayIcon {
  /** Replaces the status entry (called by the status ticker only when the label changed). */
  setStatus(label: string): void;
  /** Removes the icon (Q5); its helper process, if any, exits. */
  dispose(): Promise<void>;
}

/** Creates a tray icon with a menu, or explains why there cannot be one. */
export type TrayIconFactory = (
  menu: (status: string) => TrayMenuItem[],
  logger: Logger,
) => Promise<{ icon: TrayIcon } | { icon: null; reason: string }>;

/** True when this session can show desktop UI at all: macOS and Windows always, elsewhere an X11 or Wayland display. */
export function hasDesktopSession(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY) || Boolean(env.WAYLAND_DISPLAY);
}
