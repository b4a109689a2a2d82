/**
 * The plugin registry (§6.2.1, requirements A3): the bundled root, then the lab's
 * `paths.plugin_dir`; manifests only, no plugin code is imported. A lab plugin with the name
 * of a bundled one replaces it.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNullLogger, type Logger } from '../logging/index.js';
import { corePackageDir } from '../paths/core-package.js';
import { loadManifest, type ManifestRejection, type PluginManifest } from './manifest.js';

/** Where a plugin came from. */
export type PluginSource = 'bundled' | 'lab';

/** One loaded plugin. */
export interface PluginRecord {
  manifest: PluginManifest;
  /** Absolute plugin folder. */
  dir: string;
  source: PluginSource;
}

/** A plugin folder that did not load, with the rule it broke. */
export interface PluginRejection extends ManifestRejection {
  dir: string;
  source: PluginSource;
}

/** What {@link PluginRegistry.reload} found. */
export interface PluginReloadResult {
  loaded: PluginRecord[];
  rejected: PluginRejection[];
}

/** Options of {@link PluginRegistry}. */
export interface PluginRegistryOptions {
  /** Plugins shipped with the app (default {@link BUNDLED_PLUGINS_DIR}); null for none. */
  bundledRoot?: string | null | undefined;
  /** config.yaml `paths.plugin_dir`; empty or missing means none. */
  labRoot?: string | null | undefined;
  /** config.yaml `plugins.allow_network`. */
  allowNetwork?: boolean | undefined;
  logger?: Logger | undefined;
}

/** `<@exlab/core package root>/<folder>` (see {@link corePackageDir}). */
function findCoreFolder(folder: string): string {
  return join(corePackageDir(), folder);
}

/** Folder of the plugins shipped with the app (§6.2.1 "bundled plugin root"). */
export const BUNDLED_PLUGINS_DIR: string = findCoreFolder('bundled-plugins');

/**
 * Example plugins (hello_plugin, xlsx_field_filler) shipped as starter content: NOT loaded by
 * default, since dispatch runs every plugin whose extension matches and an example must not
 * stamp every lab's runs. A lab enables one by copying its folder into `paths.plugin_dir`.
 */
export const EXAMPLE_PLUGINS_DIR: string = findCoreFolder('example-plugins');

/** Sorted child folders of `root`; a missing root is empty. */
async function pluginDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(root, name));
}

/** The in-memory registry of plugins, rebuilt from disk by {@link PluginRegistry.reload}. */
export class PluginRegistry {
  readonly #bundledRoot: string | null;
  readonly #labRoot: string | null;
  readonly #allowNetwork: boolean;
  readonly #logger: Logger;
  #records = new Map<string, PluginRecord>();

  constructor(options: PluginRegistryOptions = {}) {
    this.#bundledRoot =
      options.bundledRoot === undefined ? BUNDLED_PLUGINS_DIR : options.bundledRoot === null ? null : resolve(options.bundledRoot);
    this.#labRoot = options.labRoot === undefined || options.labRoot === null || options.labRoot === '' ? null : resolve(options.labRoot);
    this.#allowNetwork = options.allowNetwork ?? false;
    this.#logger = (options.logger ?? createNullLogger()).child({ component: 'plugins' });
  }

  /** Scans both roots from scratch (bundled first, lab wins a clash) and replaces the registry. */
  async reload(): Promise<PluginReloadResult> {
    const records = new Map<string, PluginRecord>();
    const rejected: PluginRejection[] = [];
    const roots: [string | null, PluginSource][] = [
      [this.#bundledRoot, 'bundled'],
      [this.#labRoot, 'lab'],
    ];
    for (const [root, source] of roots) {
      if (root === null) continue;
      const seenInRoot = new Set<string>();
      for (const dir of await pluginDirs(root)) {
        const result = await loadManifest(dir, { allowNetwork: this.#allowNetwork });
        if (!result.ok) {
          rejected.push({ ...result.rejection, dir, source });
          const fields = { dir, plugin: result.rejection.name, reason: result.rejection.reason, code: result.rejection.code };
          // §6.2.1: an api_version mismatch is an ERROR, any other unreadable manifest a WARN.
          if (result.rejection.code === 'manifest_api_version') this.#logger.error('plugin rejected', fields);
          else this.#logger.warn('plugin rejected', fields);
          continue;
        }
        const { manifest } = result;
        for (const warning of result.warnings) this.#logger.warn('plugin manifest warning', { plugin: manifest.name, dir, warning });
        if (seenInRoot.has(manifest.name)) {
          const reason = `another folder in ${root} already provides a plugin named "${manifest.name}"`;
          rejected.push({ code: 'plugin_duplicate_name', field: 'name', reason, name: manifest.name, dir, source });
          this.#logger.warn('plugin rejected', { dir, plugin: manifest.name, reason });
          continue;
        }
        seenInRoot.add(manifest.name);
        const previous = records.get(manifest.name);
        if (previous !== undefined) {
          this.#logger.info(
            `plugin '${manifest.name}' v${manifest.version} from ${root} overrides ${previous.source} v${previous.manifest.version}`,
            { plugin: manifest.name },
          );
        }
        records.set(manifest.name, { manifest, dir, source });
      }
    }
    this.#records = records;
    return { loaded: this.list(), rejected };
  }

  /** Every loaded plugin, sorted by name. */
  list(): PluginRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.manifest.name < b.manifest.name ? -1 : a.manifest.name > b.manifest.name ? 1 : 0));
  }

  /** The plugin named `name`, or undefined. */
  get(name: string): PluginRecord | undefined {
    return this.#records.get(name);
  }
}
