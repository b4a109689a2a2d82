import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ExLabError } from '@exlab/core/errors';
import { isInside } from '@exlab/core/paths';
import type { Config } from '@exlab/core/schemas';

/** The folders browse routes may show: `paths.local_root` and every equipment's own `local_root`. */
export function configuredRoots(config: Config): string[] {
  const roots = new Set<string>();
  if (config.paths.local_root !== '') roots.add(resolve(config.paths.local_root));
  for (const entry of config.equipment) if (entry.local_root !== undefined && entry.local_root !== '') roots.add(resolve(entry.local_root));
  return [...roots];
}

/**
 * Resolves a path parameter with realpath and requires it inside the configured roots: 403
 * `permission_denied` outside (also for a symlink out of a root), 404 `folder_not_found` when missing.
 * A relative path is taken under `paths.local_root`.
 */
export async function resolveInRoots(config: Config, raw: string): Promise<string> {
  if (raw.includes('\0') || raw.length > 4096) throw new ExLabError('validation_failed', 'The path is not valid.', { field: 'path' });
  const roots = configuredRoots(config);
  const candidate = isAbsolute(raw) ? resolve(raw) : resolve(config.paths.local_root, raw);
  const lexicallyInside = roots.some((root) => isInside(root, candidate));
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    if (!lexicallyInside) throw denied(raw);
    throw new ExLabError('folder_not_found', `No folder at "${raw}".`, { field: 'path' });
  }
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => root);
    if (isInside(realRoot, real)) return real;
  }
  throw denied(raw);
}

function denied(raw: string): ExLabError {
  return new ExLabError('permission_denied', `"${raw}" is outside the configured roots.`, { field: 'path' });
}
