/**
 * Module resolve hooks installed by `register.ts`. Any `@exlab/plugin-sdk[/subpath]` import is
 * resolved as a package self-reference from inside this SDK, whatever folder imports it. When
 * the SDK runs from its TypeScript sources, a `./x.js` import between its own files resolves
 * to `./x.ts`. Erasable TypeScript with no imports: it may be loaded alone in a hooks thread.
 */

/** Data passed by `register.ts`. */
export interface ResolveHooksData {
  /** URL of the SDK's entry module (`index.js`, or `index.ts` from sources). */
  sdkEntryUrl: string;
  /** URL of the SDK's `src/` folder when it runs from sources. */
  sourceDir?: string | undefined;
  /**
   * URL the bare `@exlab/plugin-sdk` resolves to instead of the package's main entry: the built
   * worker passes its own URL (it carries the whole public API), so a plugin shares the worker's
   * already-loaded SDK instead of loading a second copy.
   */
  sdkMainUrl?: string | undefined;
}

/** The part of Node's resolve context these hooks touch. */
export interface ResolveContext {
  parentURL?: string | undefined;
  conditions?: readonly string[] | undefined;
  importAttributes?: Record<string, string> | undefined;
}

/** What a resolve hook returns. */
export interface ResolveResult {
  url: string;
  format?: string | null | undefined;
  shortCircuit?: boolean | undefined;
}

const SDK_NAME = '@exlab/plugin-sdk';
let settings: ResolveHooksData | undefined;

/** Receives the SDK's own locations. */
export function initialize(data: ResolveHooksData | undefined): void {
  settings = data;
}

/** The URL the bare SDK name resolves to without further lookup, or null. */
function sdkMain(specifier: string): ResolveResult | null {
  const url = settings?.sdkMainUrl;
  return url !== undefined && specifier === SDK_NAME ? { url, format: 'module', shortCircuit: true } : null;
}

/** The specifier and context to resolve instead, or null to resolve unchanged. */
function redirect(specifier: string, context: ResolveContext): { specifier: string; context: ResolveContext } | null {
  if (settings === undefined) return null;
  if (specifier === SDK_NAME || specifier.startsWith(`${SDK_NAME}/`)) {
    return { specifier, context: { ...context, parentURL: settings.sdkEntryUrl } };
  }
  const parent = context.parentURL;
  if (settings.sourceDir !== undefined && parent?.startsWith(settings.sourceDir) === true && parent.endsWith('.ts')) {
    if (specifier.startsWith('./') && specifier.endsWith('.js')) return { specifier: `${specifier.slice(0, -3)}.ts`, context };
  }
  return null;
}

/** In-thread hook (`module.registerHooks`). */
export function resolveSync(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => ResolveResult,
): ResolveResult {
  const main = sdkMain(specifier);
  if (main !== null) return main;
  const target = redirect(specifier, context);
  return target === null ? nextResolve(specifier, context) : nextResolve(target.specifier, target.context);
}

/** Hooks-thread hook (`module.register`). */
export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => ResolveResult | Promise<ResolveResult>,
): Promise<ResolveResult> {
  const main = sdkMain(specifier);
  if (main !== null) return main;
  const target = redirect(specifier, context);
  return target === null ? nextResolve(specifier, context) : nextResolve(target.specifier, target.context);
}
