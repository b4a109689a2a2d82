import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExLabError } from '@exlab/core/errors';
import { cleanup, hostWith, pass, passContext, runFolder, tempDir } from './support.js';

afterEach(cleanup);

async function failure(promise: Promise<unknown>): Promise<ExLabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('variable pre-flight (A5)', () => {
  it('stage 1: an empty required variable fails the pass before any transform; the tree is untouched', async () => {
    const { host } = await hostWith(['validating', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const error = await failure(host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ operator: '', sample_id: 'S-1' }) }));
    expect(error.code).toBe('plugin_variable_validation_failed');
    expect(error.status).toBe(422);
    expect(error.message).toContain("validating: required variable 'operator' is missing or empty");
    expect(error.details).toEqual({ phase: 'running_plugins', errors: ["validating: required variable 'operator' is missing or empty"] });
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
    expect(host.liveWorkers()).toBe(0);
  });

  it('stage 2: validateVariables runs in the worker and its messages fail the pass, all joined', async () => {
    const { host } = await hostWith(['validating', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const error = await failure(host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ operator: '  ', sample_id: 'nope' }) }));
    expect(error.details?.errors).toEqual([
      "validating: required variable 'operator' is missing or empty",
      'validating: sample_id must look like S-123',
    ]);
    expect(error.message).toContain('missing or empty; validating: sample_id must look like S-123');
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
    expect(host.liveWorkers()).toBe(0);
  });

  it('lets the pass run when the variables are good, with the worker that validated them', async () => {
    const { host } = await hostWith(['validating']);
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ sample_id: 'S-42' }) });
    expect(applied).toMatchObject([{ plugin: 'validating', status: 'success' }]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('validated by asmith\n');
  });

  it('checks only the manifest when the worker stage is turned off', async () => {
    const { host } = await hostWith(['validating'], { validateInWorker: false });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ sample_id: 'nope' }) });
    expect(applied[0]?.status).toBe('success');
    await expect(host.runPass({ ...pass(dst, ['notes.txt']), context: passContext({ operator: null }) })).rejects.toMatchObject({
      code: 'plugin_variable_validation_failed',
    });
  });

  it('validates every candidate before the first transform starts', async () => {
    const { host } = await hostWith(['spy', 'validating']);
    const dst = await runFolder({ 'notes.txt': '' });
    const spyLog = join(await tempDir('spy'), 'spy.log');
    await failure(
      host.runPass({ ...pass(dst, ['notes.txt'], { order: ['spy', 'validating'] }), context: passContext({ spy_log: spyLog }) }),
    );
    expect(await readFile(spyLog, 'utf8')).toBe('validate\n');
  });
});
