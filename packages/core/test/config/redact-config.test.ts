import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig, redactSecrets } from '../../src/config/index.js';

describe('redactConfig', () => {
  it('masks the password in URL userinfo and keeps the user name', async () => {
    const { config } = await loadConfig(join(import.meta.dirname, 'fixtures', 'complete.yaml'));
    config.lims.endpoint = 'https://operator:s3cr3t@lims.example.org/api/v1';
    const redacted = redactConfig(config);
    expect(redacted.lims.endpoint).toBe('https://operator:***@lims.example.org/api/v1');
    expect(JSON.stringify(redacted)).not.toContain('s3cr3t');
  });

  it('returns a deep copy and leaves the original untouched', async () => {
    const { config } = await loadConfig(join(import.meta.dirname, 'fixtures', 'complete.yaml'));
    config.lims.endpoint = 'https://operator:s3cr3t@lims.example.org';
    const redacted = redactConfig(config);
    expect(config.lims.endpoint).toBe('https://operator:s3cr3t@lims.example.org');
    expect(redacted.equipment).not.toBe(config.equipment);
    redacted.equipment[0]!.label = 'changed';
    expect(config.equipment[0]!.label).toBe('Light-sheet microscope');
  });

  it('changes nothing in a config without embedded credentials', async () => {
    const { config } = await loadConfig(join(import.meta.dirname, 'fixtures', 'complete.yaml'));
    expect(redactConfig(config)).toEqual(config);
  });

  it('masks inline pass= secrets of rclone connection strings', () => {
    expect(redactSecrets(':sftp,host=nas02,user=sync,pass=0bscur3d:/volume1')).toBe(':sftp,host=nas02,user=sync,pass=***:/volume1');
  });

  it('leaves an ssh target and a URL without a password as they are', () => {
    expect(redactSecrets('sync@nas02.example.org')).toBe('sync@nas02.example.org');
    expect(redactSecrets('https://operator@lims.example.org')).toBe('https://operator@lims.example.org');
  });
});
