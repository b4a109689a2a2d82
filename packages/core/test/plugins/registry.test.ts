import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLED_PLUGINS_DIR, PluginRegistry } from '@exlab/core/plugins';
import { cleanup, pluginRoot, recordingLogger, tempDir } from './support.js';

afterEach(cleanup);

const VARIANTS = [
  'manifest_bad_yaml',
  'manifest_bad_name',
  'manifest_api_2',
  'manifest_caps_max',
  'manifest_timeout_301',
  'manifest_memory_2049',
  'manifest_network_true',
  'manifest_network_string',
  'manifest_non_integer_caps',
  'manifest_missing_field',
  'manifest_readme_extension',
  'manifest_none',
];

describe('PluginRegistry', () => {
  it('loads the good plugins of a root and rejects the rest with their reasons', async () => {
    const logger = recordingLogger();
    const registry = new PluginRegistry({ bundledRoot: await pluginRoot(['hello', 'error', ...VARIANTS]), logger });
    const { loaded, rejected } = await registry.reload();
    expect(loaded.map((r) => r.manifest.name)).toEqual(['caps_max', 'error', 'hello']);
    expect(loaded.every((r) => r.source === 'bundled')).toBe(true);
    expect(Object.fromEntries(rejected.map((r) => [r.dir.split('/').pop(), r.code]))).toEqual({
      manifest_bad_yaml: 'manifest_bad_yaml',
      manifest_bad_name: 'manifest_bad_name',
      manifest_api_2: 'manifest_api_version',
      manifest_timeout_301: 'manifest_timeout_out_of_range',
      manifest_memory_2049: 'manifest_memory_out_of_range',
      manifest_network_true: 'plugin_network_declined',
      manifest_network_string: 'manifest_bad_isolation',
      manifest_non_integer_caps: 'manifest_timeout_out_of_range',
      manifest_missing_field: 'manifest_field_missing',
      manifest_readme_extension: 'manifest_readme_extension',
      manifest_none: 'manifest_missing',
    });
    // §6.2.1: an api_version mismatch is logged at ERROR, other rejections at WARN.
    const api = logger.lines.find((l) => l.fields?.dir !== undefined && String(l.fields.dir).endsWith('manifest_api_2'));
    expect(api?.level).toBe('error');
    const yaml = logger.lines.find((l) => l.fields?.dir !== undefined && String(l.fields.dir).endsWith('manifest_bad_yaml'));
    expect(yaml?.level).toBe('warn');
  });

  it('loads a network plugin when the config allows network', async () => {
    const registry = new PluginRegistry({ bundledRoot: await pluginRoot(['manifest_network_true']), allowNetwork: true });
    expect((await registry.reload()).loaded.map((r) => r.manifest.isolation.network)).toEqual([true]);
  });

  it('lets a lab plugin shadow the bundled one of the same name and logs one INFO line', async () => {
    const logger = recordingLogger();
    const registry = new PluginRegistry({
      bundledRoot: await pluginRoot(['hello', 'error']),
      labRoot: await pluginRoot([{ fixture: 'lab_hello', as: 'hello_v9' }]),
      logger,
    });
    const { loaded } = await registry.reload();
    expect(loaded.map((r) => [r.manifest.name, r.manifest.version, r.source])).toEqual([
      ['error', '1.0.0', 'bundled'],
      ['hello', '9.9.9', 'lab'],
    ]);
    expect(registry.get('hello')?.dir.endsWith('hello_v9')).toBe(true);
    const overrides = logger.lines.filter((l) => l.msg.includes('overrides'));
    expect(overrides).toHaveLength(1);
    expect(overrides[0]?.level).toBe('info');
    expect(overrides[0]?.msg).toContain("plugin 'hello' v9.9.9");
  });

  it('forgets a plugin whose folder was deleted once reloaded', async () => {
    const root = await pluginRoot(['hello', 'error']);
    const registry = new PluginRegistry({ bundledRoot: root });
    await registry.reload();
    expect(registry.get('hello')).toBeDefined();
    await rm(join(root, 'hello'), { recursive: true });
    expect(registry.get('hello')).toBeDefined();
    await registry.reload();
    expect(registry.get('hello')).toBeUndefined();
    expect(registry.list().map((r) => r.manifest.name)).toEqual(['error']);
  });

  it('treats missing roots, an empty lab path and files in a root as nothing', async () => {
    const root = await tempDir('files');
    await writeFile(join(root, 'notes.txt'), 'not a plugin');
    expect(await new PluginRegistry({ bundledRoot: join(root, 'missing'), labRoot: '' }).reload()).toEqual({ loaded: [], rejected: [] });
    expect(await new PluginRegistry({ bundledRoot: root, labRoot: null }).reload()).toEqual({ loaded: [], rejected: [] });
  });

  it('refuses a second folder of the same root with a name already taken', async () => {
    const registry = new PluginRegistry({ bundledRoot: await pluginRoot(['hello', { fixture: 'lab_hello', as: 'zz_hello_copy' }]) });
    const { loaded, rejected } = await registry.reload();
    expect(loaded.map((r) => r.manifest.version)).toEqual(['1.0.0']);
    expect(rejected).toMatchObject([{ code: 'plugin_duplicate_name', name: 'hello' }]);
  });

  it('scans the bundled plugin folder shipped in @exlab/core by default', async () => {
    expect(BUNDLED_PLUGINS_DIR).toBe(join(import.meta.dirname, '..', '..', 'bundled-plugins'));
    expect(existsSync(BUNDLED_PLUGINS_DIR)).toBe(true);
    const registry = new PluginRegistry();
    const { rejected } = await registry.reload();
    expect(rejected).toEqual([]);
  });
});
