import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

/** Modules a file loads at run time (type-only imports are erased and do not count). */
async function runtimeImports(file: string): Promise<string[]> {
  const text = await readFile(join(src, file), 'utf8');
  return [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)].map((m) => m[1] as string);
}

/** Every module reachable at run time from `entry`, relative ones resolved inside src/. */
async function closure(entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const target of await runtimeImports(file)) {
      if (target.startsWith('./')) queue.push(target.slice(2).replace(/\.js$/, '.ts'));
      else seen.add(target);
    }
  }
  return seen;
}

// A worker starts once per plugin per creation: zod alone costs ~150 ms to import, more than Node itself.
describe('what a plugin worker loads', () => {
  it.each(['index.ts', 'worker.ts', 'register.ts'])('%s never loads zod', async (entry) => {
    expect([...(await closure(entry))]).not.toContain('zod');
  });

  it('keeps the IPC schemas free of Node imports', async () => {
    for (const target of await runtimeImports('ipc.ts')) expect(target === 'zod' || target.startsWith('./')).toBe(true);
    expect([...(await closure('ipc.ts'))].filter((m) => m.startsWith('node:'))).toEqual([]);
  });
});
