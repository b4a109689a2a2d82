import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SCAN_EXTENSIONS } from '../../src/constants/index.js';
import {
  ConfigSchema,
  defaultConfig,
  EquipmentConfigSchema,
  validateConfig,
  validateEquipmentConfig,
  type ConfigInput,
} from '../../src/schemas/index.js';

describe('ConfigSchema', () => {
  it('gives the §9 defaults for an empty document', () => {
    expect(defaultConfig()).toEqual({
      paths: { templates_dir: '', plugin_dir: '', local_root: '' },
      lims: { endpoint: '', email: '', cache_ttl_hours: 24, offline_catalogue_path: '' },
      readme: { defaults: [] },
      equipment: [],
      nas_cleanup: { enabled: false, min_verify_passes: 2, min_age_hours: 24, retain_cache: true },
      logging: { level: 'INFO', central_log_max_mb: 10, central_log_keep: 5 },
      operators: { allowlist: [] },
      validator: { content_scan_max_mib: 5, content_scan_extensions: [...DEFAULT_CONTENT_SCAN_EXTENSIONS] },
      plugins: { allow_network: false },
      sync: { enabled: true, retry_attempts: 3 },
      orchestrator: { label: '', staging_root: '', staging_cleanup: { mode: 'manual', retain_hours: 24 } },
    });
  });

  it('hands out independent default lists', () => {
    const first = defaultConfig();
    first.validator.content_scan_extensions.push('.log');
    expect(defaultConfig().validator.content_scan_extensions).toHaveLength(DEFAULT_CONTENT_SCAN_EXTENSIONS.length);
  });

  it('fills the defaults of a partly written block', () => {
    const input: ConfigInput = { nas_cleanup: { enabled: true }, orchestrator: { label: 'Station' } };
    const result = validateConfig(input);
    expect(result.success && result.data.nas_cleanup).toEqual({
      enabled: true,
      min_verify_passes: 2,
      min_age_hours: 24,
      retain_cache: true,
    });
    expect(result.success && result.data.orchestrator.staging_cleanup).toEqual({ mode: 'manual', retain_hours: 24 });
  });

  it('rejects unknown keys when used directly as a zod schema', () => {
    expect(ConfigSchema.safeParse({ paths: { extra: 1 } }).success).toBe(false);
  });

  it('lists issues without file positions when validating data that did not come from a file', () => {
    const result = validateConfig({ sync: { retry_attempts: 'three' } });
    expect(result).toEqual({
      success: false,
      issues: [
        {
          path: 'sync.retry_attempts',
          loc: ['sync', 'retry_attempts'],
          code: 'invalid_type',
          message: 'expected a number, got text "three"',
        },
      ],
    });
  });

  it('refuses a mounted-share NAS folder that is, holds or sits in the equipment folder, naming the field', () => {
    const equipment = (path: string, localRoot?: string) => ({
      id: 'CONFOCAL_01',
      label: 'Confocal',
      nas_root: '//nas',
      completeness_signal: 'manifest',
      manifest_filename: 'm.json',
      ...(localRoot ? { local_root: localRoot } : {}),
      transport: { type: 'local', path },
    });
    for (const [path, localRoot] of [
      ['/data/lab', undefined],
      ['/data/lab/nas', undefined],
      ['/data', undefined],
      ['/mnt/nas/', '/mnt/nas/CONFOCAL'],
    ] as const) {
      const result = validateConfig({ paths: { local_root: '/data/lab' }, equipment: [equipment(path, localRoot)] });
      expect(!result.success && result.issues.map((issue) => issue.path), path).toEqual(['equipment[0].transport.path']);
    }
    expect(validateConfig({ paths: { local_root: '/data/lab' }, equipment: [equipment('/data/lab-nas')] }).success).toBe(true);
  });

  it('refuses transport values a program would read as options, and a relative share path', () => {
    const equipment = (transport: Record<string, unknown>) => ({
      id: 'CONFOCAL_01',
      label: 'Confocal',
      nas_root: '//nas',
      completeness_signal: 'manifest',
      manifest_filename: 'm.json',
      transport,
    });
    const paths = (result: ReturnType<typeof validateConfig>) => (!result.success ? result.issues.map((issue) => issue.path) : []);
    expect(
      paths(validateConfig({ equipment: [equipment({ type: 'rsync_ssh', ssh_target: '-oProxyCommand=x', remote_path: '/v' })] })),
    ).toEqual(['equipment[0].transport.ssh_target']);
    expect(
      paths(validateConfig({ equipment: [equipment({ type: 'rclone', rclone_remote: 'lab:nas', rclone_remote_path: '/v' })] })),
    ).toEqual(['equipment[0].transport.rclone_remote']);
    expect(paths(validateConfig({ equipment: [equipment({ type: 'local', path: 'nas/lab' })] }))).toEqual(['equipment[0].transport.path']);
    expect(validateConfig({ equipment: [equipment({ type: 'local', path: 'Z:\\lab' })] }).success).toBe(true);
  });

  it('validates one Add-Equipment entry with the same rules', () => {
    const body = {
      id: 'SPIM_01',
      label: 'Light-sheet',
      nas_root: '//nas',
      completeness_signal: 'manifest',
      manifest_filename: 'm.json',
      transport: { type: 'local', path: '/mnt/nas' },
    };
    const ok = validateEquipmentConfig(body);
    expect(ok.success && ok.data.sync_mode).toBe('nas');
    expect(EquipmentConfigSchema.safeParse({ ...body, sync_mode: 'stage' }).success).toBe(false);
    const bad = validateEquipmentConfig({ ...body, id: 'spim' });
    expect(!bad.success && bad.issues.map((issue) => issue.path)).toEqual(['id']);
  });
});
