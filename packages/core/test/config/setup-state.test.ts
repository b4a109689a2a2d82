import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, evaluateSetupState, loadConfig, type Config } from '../../src/config/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);
const load = async (name: string): Promise<Config> => (await loadConfig(fixture(name))).config;

/** A config that passes every gate when the keyring holds the password. */
async function readyConfig(): Promise<Config> {
  return load('complete.yaml');
}

describe('evaluateSetupState', () => {
  it('reports incomplete_no_config when there is no config', () => {
    expect(evaluateSetupState({ config: null, limsPasswordPresent: true, limsReachable: true })).toEqual({
      state: 'incomplete_no_config',
      missing: [{ field: 'config.yaml', reason: 'missing' }],
      next_action: 'set_paths',
      ready: false,
    });
  });

  it('reports every unset path for the no-paths fixture', async () => {
    expect(evaluateSetupState({ config: await load('incomplete-no-paths.yaml'), limsPasswordPresent: true, limsReachable: true })).toEqual({
      state: 'incomplete_missing_paths',
      missing: [
        { field: 'paths.plugin_dir', reason: 'unset' },
        { field: 'paths.local_root', reason: 'unset' },
      ],
      next_action: 'set_paths',
      ready: false,
    });
  });

  it('reports all three paths for an all-defaults config, before anything else', () => {
    expect(evaluateSetupState({ config: defaultConfig(), limsPasswordPresent: false, limsReachable: null }).missing).toEqual([
      { field: 'paths.templates_dir', reason: 'unset' },
      { field: 'paths.plugin_dir', reason: 'unset' },
      { field: 'paths.local_root', reason: 'unset' },
    ]);
  });

  it('reports the orchestrator label and staging root for the no-orchestrator fixture', async () => {
    expect(
      evaluateSetupState({ config: await load('incomplete-no-orchestrator.yaml'), limsPasswordPresent: true, limsReachable: true }),
    ).toEqual({
      state: 'incomplete_no_orchestrator',
      missing: [
        { field: 'orchestrator.label', reason: 'unset' },
        { field: 'orchestrator.staging_root', reason: 'unset' },
      ],
      next_action: 'set_paths',
      ready: false,
    });
  });

  it('reports only the staging root when the label is set', async () => {
    const config = await readyConfig();
    config.orchestrator.staging_root = '';
    expect(evaluateSetupState({ config, limsPasswordPresent: true, limsReachable: true }).missing).toEqual([
      { field: 'orchestrator.staging_root', reason: 'unset' },
    ]);
  });

  it('reports an empty equipment list for the no-equipment fixture', async () => {
    expect(
      evaluateSetupState({ config: await load('incomplete-no-equipment.yaml'), limsPasswordPresent: true, limsReachable: true }),
    ).toEqual({
      state: 'incomplete_no_equipment',
      missing: [{ field: 'equipment', reason: 'empty' }],
      next_action: 'add_equipment',
      ready: false,
    });
  });

  it('reports the unset LIMS endpoint and email for the no-lims fixture', async () => {
    expect(evaluateSetupState({ config: await load('incomplete-no-lims.yaml'), limsPasswordPresent: false, limsReachable: null })).toEqual({
      state: 'incomplete_no_lims',
      missing: [
        { field: 'lims.endpoint', reason: 'unset' },
        { field: 'lims.email', reason: 'unset' },
      ],
      next_action: 'configure_lims',
      ready: false,
    });
  });

  it('reports only the unset email when the endpoint is set, even with a keyring password', async () => {
    const config = await readyConfig();
    config.lims.email = '';
    expect(evaluateSetupState({ config, limsPasswordPresent: true, limsReachable: true })).toEqual({
      state: 'incomplete_no_lims',
      missing: [{ field: 'lims.email', reason: 'unset' }],
      next_action: 'configure_lims',
      ready: false,
    });
  });

  it('reports the keyring password when endpoint and email are set and there is no catalogue', async () => {
    expect(evaluateSetupState({ config: await readyConfig(), limsPasswordPresent: false, limsReachable: null })).toEqual({
      state: 'incomplete_no_lims',
      missing: [{ field: 'lims.password', reason: 'missing_in_keyring' }],
      next_action: 'configure_lims',
      ready: false,
    });
  });

  it('counts an offline catalogue alone as a configured LIMS', async () => {
    const config = await load('incomplete-no-lims.yaml');
    config.lims.offline_catalogue_path = '/mnt/share/catalogue.json';
    expect(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null })).toEqual({
      state: 'ready',
      missing: [],
      next_action: null,
      ready: true,
    });
  });

  it('does not ask for the keyring password when a catalogue is configured', async () => {
    const config = await readyConfig();
    config.lims.offline_catalogue_path = '/mnt/share/catalogue.json';
    expect(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: false }).state).toBe('ready');
  });

  it('reports incomplete_lims_unreachable with nothing missing when the LIMS health check failed', async () => {
    expect(evaluateSetupState({ config: await readyConfig(), limsPasswordPresent: true, limsReachable: false })).toEqual({
      state: 'incomplete_lims_unreachable',
      missing: [],
      next_action: 'test_lims',
      ready: false,
    });
  });

  it('is ready when the LIMS was not checked yet or answered', async () => {
    for (const limsReachable of [null, true]) {
      expect(evaluateSetupState({ config: await readyConfig(), limsPasswordPresent: true, limsReachable })).toEqual({
        state: 'ready',
        missing: [],
        next_action: null,
        ready: true,
      });
    }
  });

  it('reports the first failing gate only', () => {
    const config = defaultConfig();
    config.paths = { templates_dir: '/t', plugin_dir: '/p', local_root: '/l' };
    expect(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: false }).state).toBe('incomplete_no_orchestrator');
    config.orchestrator.label = 'Station';
    config.orchestrator.staging_root = '/srv/staging';
    expect(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: false }).state).toBe('incomplete_no_equipment');
  });
});
