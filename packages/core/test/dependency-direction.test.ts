import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packages = join(import.meta.dirname, '..', '..');
// ARCHITECTURE.md: plugin-sdk <- core <- controller <- server <- tray <- cli; window sees core only.
const ORDER = ['plugin-sdk', 'core', 'controller', 'server', 'tray', 'cli'];

async function deps(name: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(packages, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {})
    .filter((d) => d.startsWith('@exlab/'))
    .map((d) => d.slice('@exlab/'.length));
}

describe('workspace dependency direction', () => {
  it.each(ORDER)('@exlab/%s depends only on packages below it', async (name) => {
    const rank = ORDER.indexOf(name);
    for (const dep of await deps(name)) expect(ORDER.indexOf(dep), `${name} -> ${dep}`).toBeLessThan(rank);
  });
});
