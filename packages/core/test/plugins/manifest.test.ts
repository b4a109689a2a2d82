import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, parseManifest, type ManifestResult } from '@exlab/core/plugins';
import { FIXTURES } from './support.js';

const VALID = `
name: sample
version: 0.3.1
supported_extensions: ['.xlsx']
api_version: '1'
`;

function rejection(result: ManifestResult) {
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

describe('parseManifest', () => {
  it('loads a minimal manifest with the isolation defaults of §6.1.2', () => {
    const result = parseManifest(VALID);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      manifest: {
        name: 'sample',
        version: '0.3.1',
        supported_extensions: ['.xlsx'],
        api_version: '1',
        required_variables: [],
        optional_variables: [],
        isolation: { timeout_seconds: 30, memory_mb: 512, network: false },
      },
    });
  });

  it('keeps author, description and the declared variables', () => {
    const result = parseManifest(
      `${VALID}author: ExFAB\ndescription: Fills cells.\nrequired_variables: [operator]\noptional_variables: [sample_type]\n`,
    );
    expect(result.ok && result.manifest).toMatchObject({
      author: 'ExFAB',
      description: 'Fills cells.',
      required_variables: ['operator'],
      optional_variables: ['sample_type'],
    });
  });

  it('rejects text that is not YAML, or not a mapping', () => {
    expect(rejection(parseManifest('name: [unclosed')).code).toBe('manifest_bad_yaml');
    expect(rejection(parseManifest('- a\n- b\n')).code).toBe('manifest_bad_yaml');
    expect(rejection(parseManifest('')).code).toBe('manifest_bad_yaml');
  });

  it.each(['name', 'version', 'supported_extensions', 'api_version'])('rejects a manifest without %s, naming the field', (field) => {
    const text = VALID.split('\n')
      .filter((line) => !line.startsWith(`${field}:`))
      .join('\n');
    const found = rejection(parseManifest(text));
    expect(found).toMatchObject({ code: 'manifest_field_missing', field });
    expect(found.reason).toContain(field);
  });

  it('rejects names with spaces, dots or slashes', () => {
    for (const name of ['"bad name"', '"../up"', '"a.b"']) {
      expect(rejection(parseManifest(VALID.replace('name: sample', `name: ${name}`))).code).toBe('manifest_bad_name');
    }
  });

  it('accepts api_version 1 written as a number and refuses "2"', () => {
    expect(parseManifest(VALID.replace("api_version: '1'", 'api_version: 1')).ok).toBe(true);
    const found = rejection(parseManifest(VALID.replace("api_version: '1'", "api_version: '2'")));
    expect(found).toMatchObject({ code: 'manifest_api_version', field: 'api_version', name: 'sample' });
    expect(found.reason).toContain('"2"');
  });

  it('rejects extensions that are not a list of strings', () => {
    for (const value of ['.xlsx', '[1, 2]', '[]']) {
      expect(rejection(parseManifest(VALID.replace("supported_extensions: ['.xlsx']", `supported_extensions: ${value}`))).code).toBe(
        'manifest_bad_extensions',
      );
    }
  });

  it('rejects an isolation block that is not a mapping', () => {
    expect(rejection(parseManifest(`${VALID}isolation: [1]\n`))).toMatchObject({ code: 'manifest_bad_isolation', field: 'isolation' });
  });

  it('accepts the caps 300 s and 2048 MB and rejects 301 and 2049, naming the field', () => {
    expect(parseManifest(`${VALID}isolation: {timeout_seconds: 300, memory_mb: 2048}\n`).ok).toBe(true);
    const timeout = rejection(parseManifest(`${VALID}isolation: {timeout_seconds: 301}\n`));
    expect(timeout).toMatchObject({ code: 'manifest_timeout_out_of_range', field: 'isolation.timeout_seconds' });
    expect(timeout.reason).toContain('isolation.timeout_seconds');
    const memory = rejection(parseManifest(`${VALID}isolation: {memory_mb: 2049}\n`));
    expect(memory).toMatchObject({ code: 'manifest_memory_out_of_range', field: 'isolation.memory_mb' });
  });

  it('rejects caps that are not whole numbers of at least 1', () => {
    for (const value of ['2.5', '0', '-5', '"30"']) {
      expect(rejection(parseManifest(`${VALID}isolation: {timeout_seconds: ${value}}\n`)).code).toBe('manifest_timeout_out_of_range');
      expect(rejection(parseManifest(`${VALID}isolation: {memory_mb: ${value}}\n`)).code).toBe('manifest_memory_out_of_range');
    }
  });

  it('refuses network: true unless the config allows network, and a network that is not a boolean', () => {
    const text = `${VALID}isolation: {network: true}\n`;
    expect(rejection(parseManifest(text))).toMatchObject({ code: 'plugin_network_declined', field: 'isolation.network' });
    expect(parseManifest(text, { allowNetwork: true }).ok).toBe(true);
    expect(rejection(parseManifest(`${VALID}isolation: {network: "false"}\n`))).toMatchObject({
      code: 'manifest_bad_isolation',
      field: 'isolation.network',
    });
  });

  it('reads YAML 1.1 booleans as PyYAML does', () => {
    expect(rejection(parseManifest(`${VALID}isolation: {network: yes}\n`)).code).toBe('plugin_network_declined');
    const off = parseManifest(`${VALID}isolation: {network: off}\n`);
    expect(off.ok && off.manifest.isolation.network).toBe(false);
  });

  it('rejects the removed "readme" pseudo-extension', () => {
    expect(rejection(parseManifest(VALID.replace("['.xlsx']", "['.md', 'README']"))).code).toBe('manifest_readme_extension');
  });

  it('applies the first broken rule when several are broken', () => {
    const text = 'name: "bad name"\nversion: 1\nsupported_extensions: 7\napi_version: "2"\nisolation: {timeout_seconds: 999}\n';
    expect(rejection(parseManifest(text)).code).toBe('manifest_bad_name');
    const apiAndCaps = 'name: ok\nversion: 1\nsupported_extensions: 7\napi_version: "2"\nisolation: {timeout_seconds: 999}\n';
    expect(rejection(parseManifest(apiAndCaps)).code).toBe('manifest_api_version');
  });

  it('rejects variable lists that are not lists of names', () => {
    expect(rejection(parseManifest(`${VALID}required_variables: operator\n`))).toMatchObject({
      code: 'manifest_bad_field',
      field: 'required_variables',
    });
  });

  it('warns, but loads, below 64 MB of memory', () => {
    const result = parseManifest(`${VALID}isolation: {memory_mb: 32}\n`);
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings[0]).toContain('memory_mb is 32');
  });
});

describe('loadManifest', () => {
  it('rejects a folder without manifest.yml (rule 1)', async () => {
    expect(rejection(await loadManifest(join(FIXTURES, 'manifest_none'))).code).toBe('manifest_missing');
    expect(rejection(await loadManifest(join(FIXTURES, 'does-not-exist'))).code).toBe('manifest_missing');
  });

  it.each([
    ['manifest_bad_yaml', 'manifest_bad_yaml'],
    ['manifest_bad_name', 'manifest_bad_name'],
    ['manifest_api_2', 'manifest_api_version'],
    ['manifest_timeout_301', 'manifest_timeout_out_of_range'],
    ['manifest_memory_2049', 'manifest_memory_out_of_range'],
    ['manifest_network_true', 'plugin_network_declined'],
    ['manifest_network_string', 'manifest_bad_isolation'],
    ['manifest_non_integer_caps', 'manifest_timeout_out_of_range'],
    ['manifest_missing_field', 'manifest_field_missing'],
    ['manifest_readme_extension', 'manifest_readme_extension'],
  ])('rejects the %s fixture with %s', async (fixture, code) => {
    expect(rejection(await loadManifest(join(FIXTURES, fixture))).code).toBe(code);
  });

  it('loads the caps fixture at exactly 300 s and 2048 MB', async () => {
    const result = await loadManifest(join(FIXTURES, 'manifest_caps_max'));
    expect(result.ok && result.manifest.isolation).toEqual({ timeout_seconds: 300, memory_mb: 2048, network: false });
  });
});
