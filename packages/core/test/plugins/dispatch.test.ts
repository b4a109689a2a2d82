import { describe, expect, it } from 'vitest';
import { dispatchKey, selectPlugins, type PluginManifest, type PluginRecord } from '@exlab/core/plugins';

function registryOf(...plugins: [string, string[]][]) {
  const records = new Map<string, PluginRecord>(
    plugins.map(([name, supported_extensions]) => {
      const manifest: PluginManifest = {
        name,
        version: '1',
        supported_extensions,
        api_version: '1',
        required_variables: [],
        optional_variables: [],
        isolation: { timeout_seconds: 30, memory_mb: 512, network: false },
      };
      return [name, { manifest, dir: `/plugins/${name}`, source: 'bundled' }];
    }),
  );
  return {
    get: (name: string) => records.get(name),
    list: () => [...records.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name)),
  };
}

describe('selectPlugins', () => {
  it('runs _exlab_plugins entries as listed, then other matches by name: [b, a] + c runs b, a, c', () => {
    const registry = registryOf(['a', ['.txt']], ['b', ['.txt']], ['c', ['.txt']]);
    const { selected } = selectPlugins(registry, ['/run/x.txt'], ['b', 'a']);
    expect(selected.map((s) => s.record.manifest.name)).toEqual(['b', 'a', 'c']);
  });

  it('skips a listed plugin that is not installed and reports it', () => {
    const registry = registryOf(['a', ['.txt']]);
    const dispatch = selectPlugins(registry, ['/run/x.txt'], ['ghost', 'a', 'ghost']);
    expect(dispatch.selected.map((s) => s.record.manifest.name)).toEqual(['a']);
    expect(dispatch.unregistered).toEqual(['ghost']);
  });

  it('matches the final extension case-insensitively and gives each plugin only its files, in order', () => {
    const registry = registryOf(['sheets', ['.XLSX']], ['texts', ['.txt', '.md']]);
    const files = ['/run/a.TXT', '/run/data.tar.xlsx', '/run/b.xlsx.bak', '/run/notes.md'];
    const { selected } = selectPlugins(registry, files);
    expect(selected.map((s) => [s.record.manifest.name, s.files])).toEqual([
      ['sheets', ['/run/data.tar.xlsx']],
      ['texts', ['/run/a.TXT', '/run/notes.md']],
    ]);
  });

  it('matches a file without an extension on its whole base name', () => {
    expect(dispatchKey('/run/Makefile')).toBe('makefile');
    expect(dispatchKey('/run/.gitignore')).toBe('.gitignore');
    const registry = registryOf(['make', ['Makefile']], ['ignore', ['.gitignore']]);
    expect(selectPlugins(registry, ['/run/Makefile', '/run/.gitignore']).selected.map((s) => s.files)).toEqual([
      ['/run/.gitignore'],
      ['/run/Makefile'],
    ]);
  });

  it('leaves out plugins, listed or not, that match no file', () => {
    const registry = registryOf(['a', ['.txt']], ['b', ['.csv']]);
    expect(selectPlugins(registry, ['/run/x.txt'], ['b']).selected.map((s) => s.record.manifest.name)).toEqual(['a']);
  });
});
