import { win32 } from 'node:path';
import { ENV } from '../constants/index.js';
import { findExecutable } from './executable.js';

/** Chromium-family program names searched on PATH, in order (lifecycle.md W3). */
export const BROWSER_NAMES: Readonly<Record<'posix' | 'win32', readonly string[]>> = {
  posix: [
    'chromium',
    'chromium-browser',
    'google-chrome',
    'google-chrome-stable',
    'microsoft-edge',
    'microsoft-edge-stable',
    'msedge',
    'brave-browser',
  ],
  win32: ['chrome.exe', 'msedge.exe', 'brave.exe'],
};

/** Where the browsers live outside PATH: macOS app bundles, Windows program folders. */
export function wellKnownBrowserPaths(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): string[] {
  if (platform === 'darwin') {
    return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
      '/Applications/Brave Browser.app/Contents/MacOS/Brave Browser',
    ];
  }
  if (platform === 'win32') {
    const roots = [env.ProgramFiles, env['ProgramFiles(x86)'], env.LOCALAPPDATA].filter((r): r is string => r !== undefined && r !== '');
    return roots.flatMap((root) => [
      win32.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      win32.join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      win32.join(root, 'BraveSoftware', 'Brave-Browser', 'Application', 'brave.exe'),
    ]);
  }
  return [];
}

/** Where to look for a browser. */
export interface BrowserLookup {
  /** Environment: `EXLAB_BROWSER`, PATH, and the Windows program folders. */
  env: Readonly<Record<string, string | undefined>>;
  /** OS (default this one). */
  platform?: NodeJS.Platform;
}

/** The window's browser (W3): `EXLAB_BROWSER`, else the first Chromium-family program on PATH or in its usual place; null when none. */
export async function findBrowser(lookup: BrowserLookup): Promise<string | null> {
  const platform = lookup.platform ?? process.platform;
  const configured = lookup.env[ENV.browser];
  if (configured !== undefined && configured !== '') return findExecutable(configured, { env: lookup.env, platform });
  for (const name of BROWSER_NAMES[platform === 'win32' ? 'win32' : 'posix']) {
    const found = await findExecutable(name, { env: lookup.env, platform });
    if (found !== null) return found;
  }
  for (const path of wellKnownBrowserPaths(platform, lookup.env)) {
    const found = await findExecutable(path, { env: lookup.env, platform });
    if (found !== null) return found;
  }
  return null;
}
