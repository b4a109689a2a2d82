/**
 * `--import` preload that makes `@exlab/plugin-sdk` (and its subpaths) in plugin code resolve to
 * this copy of the SDK, so a plugin folder needs no node_modules of its own: for authors'
 * scripts (`node --import @exlab/plugin-sdk/register`) and for the worker run from its TypeScript
 * sources. The built worker installs the same hooks itself and needs no preload.
 *
 * Uses the in-thread `module.registerHooks` where Node has it (22.15+, measured ~1 ms), else
 * `module.register` with a hooks thread (measured ~85 ms per process start). Loaded from the
 * TypeScript sources (tests, with Node's type stripping), the hooks also map the SDK's own
 * `./x.js` imports to `./x.ts`.
 */
import * as nodeModule from 'node:module';
import type * as Protocol from './protocol.js';
import type * as ResolveHooks from './resolve-hooks.js';

// Relative modules are imported by computed URL: from the sources, `./x.js` only resolves once
// the hooks below are in place.
const here = import.meta.url;
const extension = here.endsWith('.ts') ? '.ts' : '.js';

// Before the worker and the plugin load: the host's compile cache, when it passed one (a no-op
// otherwise, and on a Node without the cache; enabling it never throws).
const { WORKER_COMPILE_CACHE_ENV } = (await import(new URL(`./protocol${extension}`, here).href)) as typeof Protocol;
const compileCacheDir = process.env[WORKER_COMPILE_CACHE_ENV];
if (compileCacheDir !== undefined && compileCacheDir !== '') nodeModule.enableCompileCache?.(compileCacheDir);
const hooksUrl = new URL(`./resolve-hooks${extension}`, here);
const data = {
  sdkEntryUrl: new URL(`./index${extension}`, here).href,
  sourceDir: extension === '.ts' ? new URL('./', here).href : undefined,
};

type RegisterHooks = (hooks: { resolve: unknown }) => unknown;
const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;

if (typeof registerHooks === 'function') {
  const hooks = (await import(hooksUrl.href)) as typeof ResolveHooks;
  hooks.initialize(data);
  registerHooks({ resolve: hooks.resolveSync });
} else {
  nodeModule.register(hooksUrl, { parentURL: here, data });
}
