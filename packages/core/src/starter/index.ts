import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Folder of the starter content shipped with `@exlab/core` (§15.4): `templates/` and, later,
 * `plugins/`. Found by walking up from this module to the package root, so it works from
 * the TypeScript sources, the built bundle and an installed package alike.
 */
export function starterDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === '@exlab/core') return join(dir, 'starter');
    }
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'starter');
    dir = parent;
  }
}

/** Folder of the bundled starter templates. */
export function starterTemplatesDir(): string {
  return join(starterDir(), 'templates');
}
