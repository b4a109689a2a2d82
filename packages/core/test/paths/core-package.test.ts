import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corePackageDir } from '@exlab/core/paths';

describe('corePackageDir', () => {
  it('names the folder of the @exlab/core package, with its shipped starter and plugin folders', () => {
    const dir = corePackageDir();
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
    expect(manifest.name).toBe('@exlab/core');
    for (const folder of ['starter', 'bundled-plugins', 'example-plugins']) expect(existsSync(join(dir, folder))).toBe(true);
    expect(corePackageDir()).toBe(dir);
  });
});
