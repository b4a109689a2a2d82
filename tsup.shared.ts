import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type ExportTarget = string | null | { '@exlab/source'?: string };

/** Build entries of a package, read from its `exports` map (the one list of public subpaths). */
export function entriesFromExports(packageDir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget> };
  const entries: Record<string, string> = {};
  for (const target of Object.values(pkg.exports)) {
    if (target === null || typeof target === 'string' || target['@exlab/source'] === undefined) continue;
    const source = target['@exlab/source'].replace(/^\.\//, '');
    entries[source.replace(/^src\//, '').replace(/\.ts$/, '')] = source;
  }
  return entries;
}

/** The tsup config every package uses: ESM for Node 22+, entries from the exports map plus `extra`. */
export function packageBuild(packageDir: string, extra: Record<string, string> = {}): Options {
  return defineConfig({
    entry: { ...entriesFromExports(packageDir), ...extra },
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: false,
    clean: true,
    splitting: true,
    sourcemap: true,
    // node:sqlite exists only with its prefix; tsup would otherwise import a package called "sqlite".
    removeNodeProtocol: false,
  }) as Options;
}
