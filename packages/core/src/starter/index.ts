import { join } from 'node:path';
import { corePackageDir } from '../paths/core-package.js';

/**
 * Folder of the starter content shipped with `@exlab/core` (§15.4): `templates/` and, later,
 * `plugins/`, in the package root (from the TypeScript sources, core's build, an installed
 * package, or a program that bundled this code alike).
 */
export function starterDir(): string {
  return join(corePackageDir(), 'starter');
}

/** Folder of the bundled starter templates. */
export function starterTemplatesDir(): string {
  return join(starterDir(), 'templates');
}
