import { join } from 'node:path';
import { ENV } from '@exlab/core/constants';

/** The browser lookup lives in core so `exlab doctor` shares it. */
export { BROWSER_NAMES, findBrowser, wellKnownBrowserPaths, type BrowserLookup } from '@exlab/core/process';

/** True when the browser must run headless: `EXLAB_HEADLESS=1`, or Linux/BSD without an X11 or Wayland display. */
export function wantsHeadless(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): boolean {
  if (isOn(env[ENV.headless])) return true;
  if (platform === 'darwin' || platform === 'win32') return false;
  return !env.DISPLAY && !env.WAYLAND_DISPLAY;
}

/** `EXLAB_DEBUG` and friends: off when unset, empty, or 0/false/no/off (W3). */
export function isOn(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}

/** Flags that keep a headless Chromium quiet and self-contained (CI, DEVELOPERS.md). */
export const HEADLESS_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Arguments of the app-mode browser (W3): its own profile, no first-run screens, 1280x800. */
export function browserArgs(options: { url: string; profileDir: string; headless: boolean; debug: boolean }): string[] {
  const args = [
    `--app=${options.url}`,
    `--user-data-dir=${options.profileDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--window-size=1280,800',
  ];
  if (options.headless) args.push(...HEADLESS_FLAGS);
  if (options.debug) args.push('--auto-open-devtools-for-tabs');
  return args;
}

/** The default-browser opener of this OS (W3 fallback), argv style. */
export function defaultBrowserCommand(url: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""', url];
  return ['xdg-open', url];
}

/** The profile folder of the window's browser: one per state dir, so two trays never share a Chromium singleton. */
export function profileDirOf(stateDir: string, name: string): string {
  return join(stateDir, name);
}
