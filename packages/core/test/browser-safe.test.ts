import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

// The UI bundles these folders: they may import only zod and each other, never Node built-ins.
describe.each(['constants', 'schemas'])('@exlab/core/%s', (folder) => {
  it('imports no Node built-in and no Node-only core module', async () => {
    const files = (await readdir(join(src, folder))).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const text = await readFile(join(src, folder, file), 'utf8');
      for (const match of text.matchAll(/from '([^']+)'/g)) {
        const target = match[1] ?? '';
        const ok = target === 'zod' || target.startsWith('./') || target === '../constants/index.js';
        expect(ok, `${folder}/${file} imports ${target}`).toBe(true);
      }
    }
  });
});
