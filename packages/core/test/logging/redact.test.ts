import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/logging/index.js';

describe('redactSecrets', () => {
  it('masks the password of user:pw@ credentials', () => {
    expect(redactSecrets('push to sftp://alice:s3cr3t@nas01/lab failed')).toBe('push to sftp://alice:***@nas01/lab failed');
    expect(redactSecrets('rclone remote bob:p@ss:w0rd@nas02')).toBe('rclone remote bob:***@nas02');
  });

  it('masks an Authorization header value including its scheme', () => {
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: ***');
    expect(redactSecrets('sent Authorization: token123, got 401')).toBe('sent Authorization: ***, got 401');
    expect(redactSecrets('{"authorization": "Digest abc"}')).toBe('{"authorization": "***"}');
  });

  it('applies the Authorization rule before the Bearer rule', () => {
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.payload.sig')).toBe('Authorization: ***');
  });

  it('masks a Bearer token in any case', () => {
    expect(redactSecrets('token Bearer abc.def-ghi')).toBe('token Bearer ***');
    expect(redactSecrets('bearer abc')).toBe('Bearer ***');
    expect(redactSecrets('BEARER abc and more')).toBe('Bearer *** and more');
  });

  it('leaves text without secrets alone and is idempotent', () => {
    const plain = 'Directory created: /data/lab/CONFOCAL_01 at 14:32:00 for bob@example.org';
    expect(redactSecrets(plain)).toBe(plain);
    const once = redactSecrets('https://u:p@h Authorization: Bearer x Bearer y');
    expect(redactSecrets(once)).toBe(once);
  });
});
