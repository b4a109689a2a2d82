import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** True when `candidate` is `root` or lies below it (lexically, after resolving `.` and `..`). */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(resolve(root), resolve(candidate));
  // `..foo` is a child named "..foo", not a step up.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Resolves `candidate` through symlinks and checks it stays inside one of `roots`
 * (also resolved). Returns the real path, or null when it escapes. Missing paths throw ENOENT.
 */
export async function resolveInsideRoots(roots: readonly string[], candidate: string): Promise<string | null> {
  const real = await realpath(candidate);
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => resolve(root));
    if (isInside(realRoot, real)) return real;
  }
  return null;
}
