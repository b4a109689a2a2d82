import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CORE_PACKAGE = '@exlab/core';
let found: string | undefined;

function packageNameAt(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/**
 * Root folder of the installed `@exlab/core` package, where its shipped folders live (`starter/`,
 * `bundled-plugins/`, `example-plugins/`, `dist/`). Found by walking up from this module, which
 * works from the TypeScript sources and from core's own build; a program that bundled this code
 * into its own file (the tray's and the CLI's `dist/main.js`) finds it by resolving the package
 * by name from where that program lives.
 */
export function corePackageDir(): string {
  if (found !== undefined) return found;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && packageNameAt(manifest) === CORE_PACKAGE) return (found = dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    found = dirname(fileURLToPath(import.meta.resolve(`${CORE_PACKAGE}/package.json`)));
  } catch {
    // Neither beside this module nor resolvable: the layout of core's own build, two levels up.
    found = join(here, '..', '..');
  }
  return found;
}
