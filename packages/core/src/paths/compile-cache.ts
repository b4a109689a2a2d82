import { enableCompileCache, flushCompileCache } from 'node:module';
import { join } from 'node:path';
import { resolveAppDirs } from './app-dirs.js';

/** Folder under the product's cache dir that holds Node's compiled-module cache. */
export const COMPILE_CACHE_DIR_NAME = 'compile-cache';

/**
 * Turns on Node's on-disk compile cache for this process, in `<cache dir>/compile-cache`
 * (`NODE_COMPILE_CACHE` overrides the folder, `NODE_DISABLE_COMPILE_CACHE=1` turns it off), so a
 * later start of the same build skips parsing and compiling the modules it loads. Call it before
 * importing the rest of the program. Returns the folder in use, or undefined when the cache is off
 * or could not be enabled; it never throws (a read-only cache dir only costs the speed-up).
 */
export function enableModuleCompileCache(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  try {
    const override = env.NODE_COMPILE_CACHE;
    const directory = override !== undefined && override !== '' ? override : join(resolveAppDirs({ env }).cacheDir, COMPILE_CACHE_DIR_NAME);
    return enableCompileCache(directory).directory;
  } catch {
    return undefined;
  }
}

/**
 * Writes the compile cache gathered so far to disk after `delayMs` (a timer that never keeps the
 * process alive). Node writes it only when a process exits normally, so a long-lived process that
 * is later killed (SIGKILL, a crash, a power cut) would leave none and its next start would
 * compile everything again; the tray calls this once it is up. Never throws.
 */
export function flushModuleCompileCacheSoon(delayMs: number): void {
  setTimeout(() => {
    try {
      flushCompileCache();
    } catch {
      // A cache dir that cannot be written only costs the speed-up.
    }
  }, delayMs).unref();
}
