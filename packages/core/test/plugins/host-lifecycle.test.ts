import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveWorkerRuntime } from '@exlab/core/plugins';
import { cleanup, hostWith, pass, passContext, runFolder, tempDir } from './support.js';

afterEach(cleanup);

/** Runs the spy over `files` and returns its record and hook log. */
async function spyPass(files: Record<string, string>, extra: { dryRun?: boolean } = {}) {
  const { host } = await hostWith(['spy']);
  const dst = await runFolder(files);
  const spyLog = join(await tempDir('spy'), 'spy.log');
  const result = await host.runPass({ ...pass(dst, Object.keys(files)), context: passContext({ spy_log: spyLog }), ...extra });
  return { result, dst, hooks: (await readFile(spyLog, 'utf8')).trim().split('\n') };
}

describe('worker hook order (A8)', () => {
  it('runs validate, pre, (can, transform) per file, post; a refusing or throwing canHandle only skips its file', async () => {
    const { result, hooks, dst } = await spyPass({ 'a.txt': '', 'skip.txt': '', 'boom.txt': '', 'c.dat': '' });
    expect(hooks).toEqual([
      'validate',
      'pre 4 frozen=true extra=null dry=false',
      'can a.txt',
      'transform a.txt',
      'can skip.txt',
      'can boom.txt',
      'can c.dat',
      'transform c.dat',
      'post modified,skipped,failed,modified',
    ]);
    expect(result.applied).toMatchObject([{ plugin: 'spy', status: 'success', files_affected: ['a.txt', 'c.dat'] }]);
    expect(await readFile(join(dst, 'skip.txt'), 'utf8')).toBe('');
  });

  it('after a PluginError calls onPluginFailure, skips post and the remaining files, and keeps earlier writes', async () => {
    const { result, hooks, dst } = await spyPass({ 'a.txt': '', 'fail.txt': '', 'z.txt': '' });
    expect(hooks).toEqual([
      'validate',
      'pre 3 frozen=true extra=null dry=false',
      'can a.txt',
      'transform a.txt',
      'can fail.txt',
      'transform fail.txt',
      'failure cannot process fail.txt',
    ]);
    expect(result.applied).toMatchObject([{ status: 'failed', error: 'cannot process fail.txt', files_affected: ['a.txt'] }]);
    expect(await readFile(join(dst, 'a.txt'), 'utf8')).toBe('spied\n');
  });

  it('in a dry run calls describeChanges instead of transform and writes nothing', async () => {
    const { result, hooks, dst } = await spyPass({ 'a.txt': 'same\n' }, { dryRun: true });
    expect(hooks).toEqual(['validate', 'pre 1 frozen=true extra=null dry=true', 'can a.txt', 'describe a.txt', 'post described']);
    expect(result.applied).toMatchObject([{ status: 'success', files_affected: [] }]);
    expect(await readFile(join(dst, 'a.txt'), 'utf8')).toBe('same\n');
  });
});

describe('pass order, progress and logs', () => {
  it('runs _exlab_plugins first, then the rest by name, reporting progress before each', async () => {
    const { host } = await hostWith(['hello', 'error', 'stdout_noise']);
    const dst = await runFolder({ 'notes.txt': '' });
    const progress: unknown[] = [];
    const { applied } = await host.runPass(
      pass(dst, ['notes.txt'], { order: ['stdout_noise', 'missing_plugin'], onProgress: (p) => progress.push(p) }),
    );
    expect(applied.map((r) => r.plugin)).toEqual(['stdout_noise', 'error', 'hello']);
    expect(progress).toEqual([
      { current: 1, total: 3, plugin: 'stdout_noise' },
      { current: 2, total: 3, plugin: 'error' },
      { current: 3, total: 3, plugin: 'hello' },
    ]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('noisy\nhello\n');
  });

  it('logs a WARN for a listed plugin that is not installed', async () => {
    const { host, logger } = await hostWith(['hello']);
    const dst = await runFolder({ 'notes.txt': '' });
    await host.runPass(pass(dst, ['notes.txt'], { order: ['ghost'] }));
    expect(logger.lines.find((l) => l.level === 'warn' && l.fields?.plugin === 'ghost')?.msg).toContain('not installed');
  });

  it('forwards log frames to the host logger tagged with plugin and worker, and writes all stderr to <logDir>/<plugin>/<runId>.stderr', async () => {
    const { host, logger, logDir } = await hostWith(['hello']);
    const dst = await runFolder({ 'notes.txt': '' });
    await host.runPass(pass(dst, ['notes.txt']));
    const line = logger.lines.find((l) => l.msg === 'hello says hi');
    expect(line?.level).toBe('info');
    expect(line?.fields).toMatchObject({ plugin: 'hello', file: join(dst, 'notes.txt') });
    expect(line?.fields?.worker).toBe(line?.fields?.pid);
    const stderr = await readFile(join(logDir, 'hello', 'Run_2026-04-17T14-32.stderr'), 'utf8');
    expect(stderr).toContain('"message":"hello says hi"');
  });

  it('returns an empty pass when no plugin matches', async () => {
    const { host } = await hostWith(['hello']);
    const dst = await runFolder({ 'data.csv': '' });
    expect(await host.runPass(pass(dst, ['data.csv']))).toEqual({ applied: [], aborted: false });
    expect(host.liveWorkers()).toBe(0);
  });
});

describe('worker runtime', () => {
  it('prefers the built dist/worker.js of the SDK and falls back to its sources', () => {
    const runtime = resolveWorkerRuntime();
    expect(runtime.entry).toMatch(/plugin-sdk[\\/](dist[\\/]worker\.js|src[\\/]worker\.ts)$/);
  });

  it('runs plugins from the SDK sources when pointed at src/worker.ts', async () => {
    const entry = join(import.meta.dirname, '..', '..', '..', 'plugin-sdk', 'src', 'worker.ts');
    expect(resolveWorkerRuntime(entry)).toMatchObject({ kind: 'source', entry });
    const { host } = await hostWith(['hello'], { workerEntry: entry });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied).toMatchObject([{ status: 'success' }]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('hello\n');
  });
});
