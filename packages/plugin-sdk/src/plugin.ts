import { PluginError } from './errors.js';
import { PLUGIN_BRAND } from './protocol.js';
import type { FileChange, PluginContext, PluginFileResult } from './types.js';

/** A value or a promise of it: every hook may be async. */
export type MaybePromise<T> = T | Promise<T>;

/** Last path segment, without importing node:path (the SDK's authoring surface stays platform-neutral). */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * Base class of every plugin (§6.1.3). One instance is constructed per worker, inside the
 * worker process; the worker drives the hooks in this order:
 *
 *     preTransformAll(ctx, files)
 *     for each file: canHandle(file, ctx) -> describeChanges (dry run) or transform
 *     postTransformAll(ctx, results)          (not after preTransformAll threw)
 *     onPluginFailure(ctx, error)             (only when a hook threw)
 *
 * `validateVariables` runs in a separate call before any plugin transforms anything.
 * Override what you need; `transform` has no useful default.
 */
export class Plugin {
  /** Class brand: the worker accepts any class carrying it, even from another copy of the SDK. */
  static readonly [PLUGIN_BRAND] = true;

  /** Instance brand. */
  get [PLUGIN_BRAND](): true {
    return true;
  }

  /**
   * Checks the variable map before the pass starts (§6.3.6). Return one operator-actionable
   * message per problem; any message fails the whole creation before a file is touched.
   * The manifest's `required_variables` are checked by the host already.
   */
  validateVariables(_variables: Readonly<Record<string, unknown>>): MaybePromise<string[]> {
    return [];
  }

  /** Once, before the file loop: open shared resources here. */
  preTransformAll(_ctx: PluginContext, _files: readonly string[]): MaybePromise<void> {}

  /** Cheap, side-effect-free filter after the extension match; false skips the file. */
  canHandle(_file: string, _ctx: PluginContext): MaybePromise<boolean> {
    return true;
  }

  /**
   * Changes `file` in place. Throw {@link PluginError} on failure and `PluginInputRequired`
   * when only the operator can supply a value. May return the changes it made.
   */
  transform(_file: string, _ctx: PluginContext): MaybePromise<FileChange[] | void> {
    throw new PluginError(`${this.constructor.name} does not implement transform()`);
  }

  /** Dry run: the changes `transform` would make, without writing anything. */
  describeChanges(file: string, _ctx: PluginContext): MaybePromise<FileChange[]> {
    return [{ path: file, kind: 'modify', summary: `${this.constructor.name} would modify ${baseName(file)}` }];
  }

  /** Once, after the file loop (also when it was empty): close what `preTransformAll` opened. */
  postTransformAll(_ctx: PluginContext, _results: readonly PluginFileResult[]): MaybePromise<void> {}

  /** Called when a hook threw; clean up partial work here. Throwing from it is logged and ignored. */
  onPluginFailure(_ctx: PluginContext, _error: unknown): MaybePromise<void> {}
}

/** A constructor of plugin instances, as the worker sees an entry module's export. */
export type PluginClass = new () => Plugin;

/** True when `value` is a class carrying the plugin brand (A1); `instanceof` is never used. */
export function isPluginClass(value: unknown): value is PluginClass {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}

/** True when `value` is an object carrying the plugin brand. */
export function isPluginInstance(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
