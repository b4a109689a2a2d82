import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExLabError } from '@exlab/core/errors';
import { cleanup, hostWith, pass, passContext, runFolder } from './support.js';

afterEach(cleanup);

/** Runs one fixture over `notes.txt` and returns its record and the file afterwards. */
async function runOne(fixture: string, options: { validateInWorker?: boolean } = {}) {
  const { host, logger, logDir } = await hostWith([fixture], options);
  const dst = await runFolder({ 'notes.txt': 'initial\n' });
  const result = await host.runPass(pass(dst, ['notes.txt']));
  expect(result.aborted).toBe(false);
  expect(result.applied).toHaveLength(1);
  expect(host.liveWorkers()).toBe(0);
  return { record: result.applied[0]!, text: await readFile(join(dst, 'notes.txt'), 'utf8'), logger, logDir };
}

describe('files_affected (A11)', () => {
  it('lists a same-size rewrite, a file created in new nested folders and a deleted file, and none of 600 untouched ones', async () => {
    const { host } = await hostWith(['tree_editor']);
    const files: Record<string, string> = { 'deep/a/target.edit': 'A', 'deep/a/doomed.txt': 'bye\n' };
    for (let i = 0; i < 600; i += 1) files[`bulk/${i % 7}/file-${i}.dat`] = `row ${i}\n`;
    const dst = await runFolder(files);
    const { applied } = await host.runPass(pass(dst, ['deep/a/target.edit']));
    expect(applied).toMatchObject([
      {
        plugin: 'tree_editor',
        status: 'success',
        files_affected: ['deep/a/doomed.txt', 'deep/a/new/deeper/made.txt', 'deep/a/target.edit'],
      },
    ]);
    expect(await readFile(join(dst, 'deep', 'a', 'target.edit'), 'utf8')).toBe('B');
  });
});

describe('plugin outcomes (A10)', () => {
  it('hello: success, its write present, files_affected and isolation recorded', async () => {
    const { record, text } = await runOne('hello');
    expect(text).toBe('initial\nhello\n');
    expect(record).toMatchObject({ plugin: 'hello', version: '1.0.0', status: 'success', files_affected: ['notes.txt'] });
    expect(record.isolation).toMatchObject({ exit_code: 0 });
    expect(record.isolation!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(record.isolation!.peak_memory_mb).toBeGreaterThan(10);
    expect(record.error).toBeUndefined();
    expect(record.crash).toBeUndefined();
  });

  it('error: PluginError exits 1 and is recorded failed with its message', async () => {
    const { record, text } = await runOne('error');
    expect(record).toMatchObject({ status: 'failed', error: 'the error fixture fails on purpose', files_affected: [] });
    expect(record.isolation?.exit_code).toBe(1);
    expect(record.crash).toBeUndefined();
    expect(text).toBe('initial\n');
  });

  it('[error, hello]: failed then success, and hello still writes', async () => {
    const { host } = await hostWith(['error', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt'], { order: ['error', 'hello'] }));
    expect(applied.map((r) => [r.plugin, r.status, r.isolation?.exit_code])).toEqual([
      ['error', 'failed', 1],
      ['hello', 'success', 0],
    ]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\nhello\n');
  });

  it('crash: process.exit(139) is a contained crash with no frame', async () => {
    const { record, text } = await runOne('crash');
    expect(record).toMatchObject({ status: 'failed', crash: true });
    expect(record.isolation?.exit_code).toBe(139);
    expect(text).toBe('initial\n');
  });

  it('crash_kill: a worker killed by SIGKILL is a crash with exit code 137', async () => {
    const { record } = await runOne('crash_kill');
    expect(record).toMatchObject({ status: 'failed', crash: true });
    expect(record.isolation?.exit_code).toBe(137);
    expect(record.error).toContain('SIGKILL');
  });

  it('stdout_noise: console.log and process.stdout.write do not break the result', async () => {
    const { record, text, logDir } = await runOne('stdout_noise');
    expect(record.status).toBe('success');
    expect(text).toBe('initial\nnoisy\n');
    const stderr = await readFile(join(logDir, 'stdout_noise', 'Run_2026-04-17T14-32.stderr'), 'utf8');
    expect(stderr).toContain('noise\n');
    expect(stderr).toContain('more noise\n');
  });

  it('oversize_frame: more than 1 MiB on stdout kills the worker, failed with ipc_frame_oversize', async () => {
    const { record } = await runOne('oversize_frame');
    expect(record).toMatchObject({ status: 'failed', error: 'ipc_frame_oversize' });
  });

  it('does not start a worker when the request itself would be over 1 MiB', async () => {
    const { host, logDir } = await hostWith(['hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const { applied } = await host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ blob: 'x'.repeat(1024 * 1024) }) });
    expect(applied).toMatchObject([{ plugin: 'hello', status: 'failed', error: 'ipc_frame_oversize', isolation: { exit_code: 3 } }]);
    expect(existsSync(join(logDir, 'hello'))).toBe(false);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
  });

  it('unknown_kind: a frame of unknown kind is logged and ignored', async () => {
    const { record, text, logger } = await runOne('unknown_kind');
    expect(record.status).toBe('success');
    expect(text).toBe('initial\nafter an unknown frame\n');
    expect(
      logger.lines.some((l) => l.level === 'warn' && l.msg.includes('unknown kind') && l.fields?.kind === 'progress_from_the_future'),
    ).toBe(true);
  });

  it('bad_frame: a line that is not JSON is a crash and the frame is logged', async () => {
    const { record, logger } = await runOne('bad_frame');
    expect(record).toMatchObject({ status: 'failed', crash: true });
    expect(record.error).toContain('not JSON');
    expect(logger.lines.find((l) => l.msg.includes('malformed frame'))?.fields?.frame).toBe('this is not a frame');
  });

  it('wrong_request_id: a result for another request is a crash', async () => {
    const { record } = await runOne('wrong_request_id');
    expect(record).toMatchObject({ status: 'failed', crash: true });
    expect(record.error).toContain('does not match');
  });

  it('import_throws and missing_export: the worker exits 3, recorded as a crash naming the cause', async () => {
    const thrown = await runOne('import_throws', { validateInWorker: false });
    expect(thrown.record).toMatchObject({ status: 'failed', crash: true });
    expect(thrown.record.isolation?.exit_code).toBe(3);
    expect(thrown.record.error).toContain('breaks at import time');
    const missing = await runOne('missing_export', { validateInWorker: false });
    expect(missing.record).toMatchObject({ status: 'failed', crash: true });
    expect(missing.record.isolation?.exit_code).toBe(3);
    expect(missing.record.error).toContain('does not export a class named Plugin');
  });

  it('import failures found by the validation worker fail the pass before any transform (A5)', async () => {
    const { host } = await hostWith(['import_throws', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const error = await host.runPass(pass(dst, ['notes.txt'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect((error as ExLabError).code).toBe('plugin_variable_validation_failed');
    expect((error as ExLabError).message).toContain('import_throws: import_failed:');
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
    expect(host.liveWorkers()).toBe(0);
  });

  it('a plugin whose canHandle refuses every file is skipped', async () => {
    const { host } = await hostWith(['spy']);
    const dst = await runFolder({ 'skip-me.txt': 'x\n' });
    const spyLog = join(dst, '..', `${dst.split('/').pop()}-spy.log`);
    const { applied } = await host.runPass({
      ...pass(dst, ['skip-me.txt']),
      context: { ...pass(dst, []).context, variables: { spy_log: spyLog } },
    });
    expect(applied).toMatchObject([{ plugin: 'spy', status: 'skipped', files_affected: [] }]);
  });

  it('input_required without a prompt handler is recorded failed', async () => {
    const { record, text } = await runOne('input_required');
    expect(record.status).toBe('failed');
    expect(record.error).toContain('cannot ask the operator');
    expect(text).toBe('initial\n');
  });

  it('still runs the plugin when its stderr log cannot be written', async () => {
    const dst = await runFolder({ 'notes.txt': 'initial\n', 'not-a-dir': 'a file where the log folder should be' });
    const { host, logger } = await hostWith(['hello'], { logDir: join(dst, 'not-a-dir') });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied).toMatchObject([{ plugin: 'hello', status: 'success' }]);
    expect(logger.lines.some((l) => l.msg === 'cannot write the plugin stderr log')).toBe(true);
  });

  it('records the network isolation and rlimits that were applied', async () => {
    const { record } = await runOne('hello');
    expect(['namespace', 'none']).toContain(record.isolation?.network);
    expect(['prlimit', 'ulimit', 'none']).toContain(record.isolation?.rlimits);
    if (process.platform === 'linux') expect(record.isolation?.rlimits).toBe('prlimit');
  });
});
