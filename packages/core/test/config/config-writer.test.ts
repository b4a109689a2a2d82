import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultConfig,
  findEquipment,
  loadConfig,
  parseConfigText,
  renderConfigText,
  saveConfig,
  type Config,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

/** Top-level keys in file order. */
function topLevelKeys(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^[a-z_]+:/.test(line))
    .map((line) => line.slice(0, line.indexOf(':')));
}

describe('saveConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-config-save-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips the complete fixture: save then reload gives an equal config', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const file = join(dir, 'config.yaml');
    await saveConfig(file, loaded.config);
    expect((await loadConfig(file)).config).toEqual(loaded.config);
  });

  it('round-trips the complete fixture when merging into its original text', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const file = join(dir, 'config.yaml');
    await saveConfig(file, loaded.config, { originalText: loaded.text });
    expect((await loadConfig(file)).config).toEqual(loaded.config);
  });

  it('keeps comments and key order when a value changes', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const config = structuredClone(loaded.config);
    config.paths.local_root = '/data/new-root';
    const file = join(dir, 'config.yaml');
    const { text } = await saveConfig(file, config, { originalText: loaded.text });

    expect(text).toMatch(/templates_dir: "\/srv\/exlab\/templates" # directory containing Copier template subdirectories\n/);
    expect(text).toContain('local_root: "/data/new-root" # equipment-first root for entries without their own local_root');
    expect(text).toContain('# Test workstation: every block of config.yaml spelled out.');
    expect(text).toContain('sync_mode: "stage" # relayed through the analysis PC');
    expect(topLevelKeys(text)).toEqual(topLevelKeys(loaded.text));
    expect(text.indexOf('templates_dir')).toBeLessThan(text.indexOf('plugin_dir'));
    expect(text.indexOf('plugin_dir')).toBeLessThan(text.indexOf('local_root'));
    expect((await loadConfig(file)).config).toEqual(config);
  });

  it('keeps an unchanged flow-style schedule window as written', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const config = structuredClone(loaded.config);
    const bandwidth = findEquipment(config, 'SPIM_01')?.transport?.bandwidth;
    if (bandwidth === undefined) throw new Error('fixture has a bandwidth block');
    bandwidth.upload_mbps = 150;
    const text = renderConfigText(config, loaded.text);
    expect(text).toContain('upload_mbps: 150');
    expect(text).toMatch(/- \{ days: \[ ?"mon", "tue", "wed", "thu", "fri" ?\], from: "07:30", to: "19:00" \}/);
  });

  it('merges the file on disk when no original text is given', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'sync:\n  retry_attempts: 4 # flaky NAS, retry more\n');
    const { config } = await loadConfig(file);
    config.sync.retry_attempts = 6;
    await saveConfig(file, config);
    expect(await readFile(file, 'utf8')).toBe('sync:\n  retry_attempts: 6 # flaky NAS, retry more\n');
  });

  it('removes keys that are absent from the new config', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const config = structuredClone(loaded.config);
    const spim = findEquipment(config, 'SPIM_01');
    if (spim === undefined) throw new Error('fixture has SPIM_01');
    delete spim.local_root;
    config.readme.defaults = config.readme.defaults.filter((field) => field.id !== 'specimen');
    config.equipment = config.equipment.filter((entry) => entry.id !== 'SORTER_2');
    const text = renderConfigText(config, loaded.text);
    expect(text).not.toContain('/data/spim');
    expect(text).not.toContain('this instrument writes to its own disk');
    expect(text).not.toContain('specimen');
    expect(text).not.toContain('SORTER_2');
    expect(text).toContain('sync_mode: "stage" # relayed through the analysis PC');
    expect(parseConfigText(text).config).toEqual(config);
  });

  it('replaces lists rather than merging them', async () => {
    const loaded = await loadConfig(fixture('complete.yaml'));
    const config = structuredClone(loaded.config);
    config.operators.allowlist = ['tnguyen'];
    config.validator.content_scan_extensions = ['.log'];
    const text = renderConfigText(config, loaded.text);
    expect(text).not.toContain('mkhan');
    expect(text).toContain('tnguyen');
    expect(parseConfigText(text).config.validator.content_scan_extensions).toEqual(['.log']);
  });

  it('does not add default-valued blocks the file leaves out, and appends changed ones at the end', async () => {
    const original = await readFile(fixture('incomplete-no-equipment.yaml'), 'utf8');
    const { config } = parseConfigText(original);
    expect(renderConfigText(config, original)).not.toMatch(/nas_cleanup|validator|retry_attempts/);
    config.sync.retry_attempts = 7;
    const text = renderConfigText(config, original);
    expect(topLevelKeys(text)).toEqual([...topLevelKeys(original), 'sync']);
    expect(text).toMatch(/staging_root: "\/srv\/staging"\n\nsync:\n {2}retry_attempts: 7\n$/);
    expect(parseConfigText(text).config.sync).toEqual({ enabled: true, retry_attempts: 7 });
  });

  it('writes equipment added to an empty flow list in block style with plain enum strings', async () => {
    const original = await readFile(fixture('incomplete-no-equipment.yaml'), 'utf8');
    const { config } = parseConfigText(original);
    config.equipment.push({
      id: 'SORTER_2',
      label: 'Cell sorter',
      nas_root: '/mnt/nas/sorting',
      completeness_signal: 'manifest',
      manifest_filename: 'manifest.json',
      sync_mode: 'nas',
      transport: { type: 'rsync_ssh', ssh_target: 'sync@nas', ssh_key_path: '~/.ssh/id_ed25519', remote_path: '/volume1/sorting' },
    });
    const text = renderConfigText(config, original);
    expect(text).toContain('equipment:\n  - id: SORTER_2\n');
    expect(text).toContain('    completeness_signal: manifest\n');
    expect(text).toContain('    sync_mode: nas\n');
    expect(text).toContain('      type: rsync_ssh\n');
    expect(text).toContain('# nothing registered yet');
    expect(parseConfigText(text).config).toEqual(config);
  });

  it('writes a fresh file in clean block style and creates parent directories', async () => {
    const { config } = await loadConfig(fixture('complete.yaml'));
    const file = join(dir, 'nested', 'deeper', 'config.yaml');
    const saved = await saveConfig(file, config);
    const text = await readFile(file, 'utf8');
    expect(saved.text).toBe(text);
    expect(saved.digest).toBe(createHash('sha256').update(text).digest('hex'));
    expect(text.startsWith('# ExLab-Wizard configuration')).toBe(true);
    expect(text).not.toMatch(/[{}]/);
    expect(text).toContain('\n\nequipment:\n  - id: SPIM_01\n');
    expect(text).toContain('level: DEBUG\n');
    expect(topLevelKeys(text)).toEqual([
      'paths',
      'lims',
      'readme',
      'equipment',
      'nas_cleanup',
      'logging',
      'operators',
      'validator',
      'plugins',
      'sync',
      'orchestrator',
    ]);
  });

  it('leaves no temporary files behind', async () => {
    const file = join(dir, 'config.yaml');
    await saveConfig(file, defaultConfig());
    const config = defaultConfig();
    config.paths.local_root = '/data';
    await saveConfig(file, config);
    expect(await readdir(dir)).toEqual(['config.yaml']);
  });

  it('writes a fresh file when the original text is not valid YAML', async () => {
    const config = defaultConfig();
    config.orchestrator.label = 'Station';
    const text = renderConfigText(config, 'paths: [unclosed\n');
    expect(parseConfigText(text).config).toEqual(config);
    expect(text.startsWith('# ExLab-Wizard configuration')).toBe(true);
  });

  it('keeps the comments of a file that holds only comments', () => {
    const text = renderConfigText(defaultConfig(), '# managed by the imaging core\n');
    expect(text.startsWith('# managed by the imaging core\n')).toBe(true);
    expect(parseConfigText(text).config).toEqual(defaultConfig());
  });

  it('refuses to write an invalid config and leaves the file untouched', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'sync:\n  retry_attempts: 2\n');
    const config: Config = defaultConfig();
    config.sync.retry_attempts = -1;
    const error = await saveConfig(file, config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'config_invalid', issues: [{ path: 'sync.retry_attempts' }] });
    expect(await readFile(file, 'utf8')).toBe('sync:\n  retry_attempts: 2\n');
  });
});
