import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// ARCHITECTURE.md: the window talks to the server over HTTP/WS and imports only browser-safe core code.
const ALLOWED = new Set(['@exlab/core/schemas', '@exlab/core/constants']);

describe('@exlab/window boundary', () => {
  it('imports only the browser-safe subpaths of @exlab/core', async () => {
    const files = (await readdir(join(root, 'src'), { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    for (const file of files) {
      const text = await readFile(join(root, 'src', file), 'utf8');
      for (const match of text.matchAll(/from '(@exlab\/[^']+)'/g)) expect(ALLOWED, `${file} imports ${match[1]}`).toContain(match[1]);
    }
  });

  it('depends on no package above core', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith('@exlab/'))).toEqual(['@exlab/core']);
  });
});
