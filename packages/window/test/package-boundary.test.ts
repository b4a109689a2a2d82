import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// ARCHITECTURE.md: the web UI talks to the server over HTTP/WS and imports only browser-safe core
// code. The window *process* (src/process/, src/main.ts) runs in Node and may use core's process,
// paths and constants to find and follow the tray.
const BROWSER_SAFE = new Set(['@exlab/core/schemas', '@exlab/core/constants']);
const PROCESS_SIDE = new Set([...BROWSER_SAFE, '@exlab/core/paths', '@exlab/core/process']);
const isProcessSide = (file: string): boolean => file.startsWith('process/') || file === 'main.ts' || file === 'index.ts';

describe('@exlab/window boundary', () => {
  it('imports only the browser-safe subpaths of @exlab/core outside the window process code', async () => {
    const files = (await readdir(join(root, 'src'), { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    for (const file of files) {
      const text = await readFile(join(root, 'src', file), 'utf8');
      const allowed = isProcessSide(file.replace(/\\/g, '/')) ? PROCESS_SIDE : BROWSER_SAFE;
      for (const match of text.matchAll(/from '(@exlab\/[^']+)'/g)) expect(allowed, `${file} imports ${match[1]}`).toContain(match[1]);
    }
  });

  it('depends on no package above core', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith('@exlab/'))).toEqual(['@exlab/core']);
  });
});
