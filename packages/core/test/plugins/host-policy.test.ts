import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isForbiddenPath } from '@exlab/core/plugins';
import { cleanup, hostWith, pass, passContext, runFolder, tempDir } from './support.js';

afterEach(cleanup);

describe('forbidden paths (A11)', () => {
  it('records policy_violation and restores README.md and .exlab-wizard/creation.json byte for byte; later plugins still run', async () => {
    const readme = '---\nschema_version: "1.1"\n---\n# Run\n';
    const creation = '{\n  "schema_version": "1.9"\n}\n';
    const { host } = await hostWith(['policy_violation', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n', 'README.md': readme, '.exlab-wizard/creation.json': creation });
    const { applied } = await host.runPass(pass(dst, ['notes.txt'], { order: ['policy_violation', 'hello'] }));
    expect(applied.map((r) => [r.plugin, r.status])).toEqual([
      ['policy_violation', 'policy_violation'],
      ['hello', 'success'],
    ]);
    expect(applied[0]).toMatchObject({
      violations: ['.exlab-wizard/creation.json', 'README.md'],
      files_affected: ['.exlab-wizard/creation.json', 'README.md'],
    });
    expect(await readFile(join(dst, 'README.md'), 'utf8')).toBe(readme);
    expect(await readFile(join(dst, '.exlab-wizard', 'creation.json'), 'utf8')).toBe(creation);
    // The violating plugin's other change is reverted too; hello's write is kept.
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\nhello\n');
  });

  it('catches a write to README.md from validateVariables, before any transform, and restores it', async () => {
    const readme = '---\nschema_version: "1.1"\n---\n# Run\n';
    const { host } = await hostWith(['validate_violation']);
    const dst = await runFolder({ 'notes.txt': 'initial\n', 'README.md': readme });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied[0]).toMatchObject({ plugin: 'validate_violation', status: 'policy_violation', violations: ['README.md'] });
    expect(await readFile(join(dst, 'README.md'), 'utf8')).toBe(readme);
  });

  it('deletes a README.md the plugin created', async () => {
    const { host } = await hostWith(['policy_violation']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied[0]?.violations).toContain('README.md');
    expect(existsSync(join(dst, 'README.md'))).toBe(false);
    expect(existsSync(join(dst, '.exlab-wizard', 'creation.json'))).toBe(false);
  });

  it('never hands the control surface to a plugin as a candidate file', async () => {
    const { host } = await hostWith(['spy']);
    const dst = await runFolder({ 'notes.txt': '', '.exlab-wizard/cache.txt': '', '.exlab-answers.yml': '' });
    const spyLog = join(await tempDir('spy'), 'spy.log');
    await host.runPass({
      ...pass(dst, ['.exlab-wizard/cache.txt', 'notes.txt', '../outside.txt']),
      context: passContext({ spy_log: spyLog }),
    });
    expect((await readFile(spyLog, 'utf8')).split('\n').filter((l) => l.startsWith('can'))).toEqual(['can notes.txt']);
  });

  it('treats exactly README.md, .exlab-answers.yml and everything under .exlab-wizard/ as forbidden', () => {
    for (const path of ['README.md', '.exlab-answers.yml', '.exlab-wizard', '.exlab-wizard/creation.json', '.exlab-wizard/logs/x.log']) {
      expect(isForbiddenPath(path), path).toBe(true);
    }
    for (const path of [
      'sub/README.md',
      'README.md.bak',
      'readme.md',
      '.exlab-answers.yml.orig',
      '.exlab-wizardx/a',
      'data/.exlab-wizard/x',
    ]) {
      expect(isForbiddenPath(path), path).toBe(false);
    }
  });
});
