import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('@exlab/plugin-sdk boundary', () => {
  it('depends on no other @exlab package, so plugin authors install it alone', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith('@exlab/'))).toEqual([]);
  });

  it('imports nothing from the rest of the app in its sources', async () => {
    const files = (await readdir(join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const text = await readFile(join(root, 'src', file), 'utf8');
      expect(text, file).not.toMatch(/from '@exlab\//);
    }
  });
});
