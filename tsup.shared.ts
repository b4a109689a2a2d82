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

/** Options of {@link programBuild}. */
export interface ProgramBuildOptions {
  /** Packages left to Node's resolver at run time: those that find files beside their own modules. */
  external?: readonly string[];
}

/**
 * The build of a package's program (`src/main.ts` -> `dist/main.js`, its `bin`): one bundle of
 * the workspace sources and their npm dependencies, split only at dynamic imports, so starting
 * the program reads a few files instead of several hundred, and esbuild drops what it never uses
 * (most zod schemas, for one). Runs after {@link packageBuild} (which cleans `dist`) and leaves
 * its output beside it. `require` and `__dirname` are defined for the CommonJS dependencies.
 */
export function programBuild(options: ProgramBuildOptions = {}): Options {
  const external = options.external ?? [];
  return defineConfig({
    entry: { main: 'src/main.ts' },
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: false,
    clean: false,
    splitting: true,
    sourcemap: true,
    shims: true,
    external: [...external],
    noExternal: [new RegExp(`^(?!(${external.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/|$))`)],
    banner: { js: "import { createRequire as __programRequire } from 'node:module';\nconst require = __programRequire(import.meta.url);" },
    // As in packageBuild: node:sqlite exists only with its prefix.
    removeNodeProtocol: false,
    esbuildOptions(esbuild) {
      // Workspace packages from their TypeScript sources; chunks named apart from the library build's.
      esbuild.conditions = ['@exlab/source'];
      esbuild.chunkNames = 'program-[name]-[hash]';
    },
  }) as Options;
}
