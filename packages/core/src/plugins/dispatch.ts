/**
 * Which plugins run on which files, in what order (§6.2.2-6.2.3, requirements A4).
 */
import { basename, extname } from 'node:path';
import type { PluginRecord, PluginRegistry } from './registry.js';

/** One plugin of a pass and the candidate files it matched, in the order given. */
export interface SelectedPlugin {
  record: PluginRecord;
  files: string[];
}

/** The run order of a pass. */
export interface PluginDispatch {
  /** `_exlab_plugins` entries first as listed, then other matching plugins by name. */
  selected: SelectedPlugin[];
  /** `_exlab_plugins` entries with no registered plugin (skipped; the host logs a WARN). */
  unregistered: string[];
}

/** The key a file is matched on: its final extension, lower-cased, or its whole base name when it has none. */
export function dispatchKey(file: string): string {
  const name = basename(file);
  const extension = extname(name);
  return (extension === '' ? name : extension).toLowerCase();
}

/** True when `record` handles `file` by extension. */
export function pluginMatches(record: PluginRecord, file: string): boolean {
  const key = dispatchKey(file);
  return record.manifest.supported_extensions.some((extension) => extension.toLowerCase() === key);
}

/** Plugins of a pass in run order, each with its matched files; plugins matching no file are left out. */
export function selectPlugins(
  registry: Pick<PluginRegistry, 'list' | 'get'>,
  files: readonly string[],
  order: readonly string[] = [],
): PluginDispatch {
  const selected: SelectedPlugin[] = [];
  const unregistered: string[] = [];
  const taken = new Set<string>();
  const add = (record: PluginRecord): void => {
    taken.add(record.manifest.name);
    const matched = files.filter((file) => pluginMatches(record, file));
    if (matched.length > 0) selected.push({ record, files: matched });
  };
  for (const name of order) {
    if (taken.has(name)) continue;
    const record = registry.get(name);
    if (record === undefined) {
      if (!unregistered.includes(name)) unregistered.push(name);
      continue;
    }
    add(record);
  }
  for (const record of registry.list()) if (!taken.has(record.manifest.name)) add(record);
  return { selected, unregistered };
}
