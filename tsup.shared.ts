import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

const BUILTIN_NAMES = new Set(builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`])));
const BUILTIN_NAMESPACE = 'exlab-builtin';

/** The ES module read in place of the builtin `name`: each export a pure read, so esbuild keeps only those imported. */
function builtinShim(name: string): string {
  const lines = [
    `const m = /* @__PURE__ */ process.getBuiltinModule(${JSON.stringify(name)});`,
    'const get = (key) => m[key];',
    'export default m;',
  ];
  for (const key of Object.keys(process.getBuiltinModule(name) as object)) {
    if (/^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default')
      lines.push(`export const ${key} = /* @__PURE__ */ get(${JSON.stringify(key)});`);
  }
  return lines.join('\n');
}

/**
 * Static `import`s of Node's built-in modules in a program, read through
 * `process.getBuiltinModule` (Node 22.3+). An ESM import of a builtin makes Node build its ES
 * facade, which reads every export at once and so runs the lazy getters behind them
 * (`fs.ReadStream` loads the streams, for one): several milliseconds of every start for nothing.
 * Through this shim a program reads only the exports it imports, once per bundle. `require` and
 * dynamic `import()` of builtins are left to Node.
 */
const builtinsOnUse: EsbuildPlugin = {
  name: 'exlab-builtins-on-use',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      args.kind === 'import-statement' && BUILTIN_NAMES.has(args.path) ? { path: args.path, namespace: BUILTIN_NAMESPACE } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, (args) => ({ contents: builtinShim(args.path), loader: 'js' }));
  },
};

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

/**
 * Fastify's default schema compilers (ajv, fast-json-stringify: about a fifth of the tray's
 * bundle), left out of the programs. Fastify requires them only for an app built without
 * `schemaController.compilersFactory`, and every app of `@exlab/server` is built with the zod
 * factories; an app built without them gets this error instead of a silent ajv.
 */
const withoutDefaultSchemaCompilers: EsbuildPlugin = {
  name: 'exlab-without-default-schema-compilers',
  setup(build) {
    build.onResolve({ filter: /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/ }, (args) => ({
      path: args.path,
      namespace: 'exlab-absent',
    }));
    build.onLoad({ filter: /.*/, namespace: 'exlab-absent' }, (args) => ({
      contents: `module.exports = () => { throw new Error(${JSON.stringify(
        `${args.path} is not bundled in this program: build Fastify with schemaController.compilersFactory (ZOD_COMPILERS of @exlab/server).`,
      )}); };`,
      loader: 'js',
    }));
  },
};

/**
 * zod's message locales trimmed to English, the only one the app speaks: the other forty-odd are
 * reachable only through `z.locales`, which esbuild cannot shake, and are about half of zod's size.
 */
const zodEnglishOnly: EsbuildPlugin = {
  name: 'exlab-zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

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
 * its output beside it. `require` and `__dirname` are defined for the CommonJS dependencies, and static imports of
 * Node's builtins are read on use ({@link builtinsOnUse}).
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
    banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
    esbuildPlugins: [builtinsOnUse, withoutDefaultSchemaCompilers, zodEnglishOnly],
    // As in packageBuild: node:sqlite exists only with its prefix.
    removeNodeProtocol: false,
    // Whitespace and syntax minified, names kept (stack traces stay readable): a program's start
    // reads, hashes and lazily re-parses its bundle, so fewer bytes start faster.
    minifyWhitespace: true,
    minifySyntax: true,
    esbuildOptions(esbuild) {
      // Workspace packages from their TypeScript sources; chunks named apart from the library build's.
      esbuild.conditions = ['@exlab/source'];
      esbuild.chunkNames = 'program-[name]-[hash]';
    },
  }) as Options;
}
