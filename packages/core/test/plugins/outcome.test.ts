import { describe, expect, it } from 'vitest';
import { verdictOf, type WorkerExit } from '@exlab/core/plugins';
import type { ResultFrame } from '@exlab/plugin-sdk/ipc';

function exit(partial: Partial<WorkerExit<ResultFrame>>): WorkerExit<ResultFrame> {
  return {
    exitCode: 0,
    signal: null,
    frame: null,
    failure: null,
    detail: null,
    durationMs: 1,
    peakMemoryMb: 40,
    stderrTail: [],
    ...partial,
  };
}

function frame(statuses: ResultFrame['per_file'][number]['status'][], errorMessage: string | null = null): ResultFrame {
  return {
    kind: 'result',
    request_id: 'r',
    result: 'success',
    per_file: statuses.map((status, i) => ({
      path: `/run/${i}.txt`,
      status,
      changes: null,
      ...(status === 'failed' ? { error: `file ${i} broke` } : {}),
    })),
    input_required: null,
    error_message: errorMessage,
    peak_memory_mb: 40,
  };
}

describe('verdictOf (A10)', () => {
  it('maps exit 0 to success when a file was handled, skipped when none was, failed when every taken file failed', () => {
    expect(verdictOf(exit({ frame: frame(['skipped', 'modified']) }))).toEqual({ status: 'success' });
    expect(verdictOf(exit({ frame: frame(['described']) }))).toEqual({ status: 'success' });
    expect(verdictOf(exit({ frame: frame(['skipped']) }))).toEqual({ status: 'skipped' });
    expect(verdictOf(exit({ frame: frame([]) }))).toEqual({ status: 'skipped' });
    expect(verdictOf(exit({ frame: frame(['skipped', 'failed']) }))).toEqual({ status: 'failed', error: 'file 1 broke' });
  });

  it('treats exit 0 without a result frame as a crash', () => {
    expect(verdictOf(exit({}))).toMatchObject({ status: 'failed', crash: true });
  });

  it('maps exit 1 to failed with the PluginError message, and exit 2 without a prompt to failed', () => {
    expect(verdictOf(exit({ exitCode: 1, frame: frame([], 'bad cell') }))).toEqual({ status: 'failed', error: 'bad cell' });
    expect(verdictOf(exit({ exitCode: 2 }))).toMatchObject({ status: 'failed' });
    expect(verdictOf(exit({ exitCode: 2 })).crash).toBeUndefined();
  });

  it('maps exit 3, other codes and signals to failed with crash, naming the cause', () => {
    expect(verdictOf(exit({ exitCode: 3, frame: frame([], 'import_failed: boom') }))).toEqual({
      status: 'failed',
      error: 'import_failed: boom',
      crash: true,
    });
    expect(verdictOf(exit({ exitCode: 134, stderrTail: ['Aborted'] }))).toEqual({
      status: 'failed',
      error: 'worker exited with code 134: Aborted',
      crash: true,
    });
    expect(verdictOf(exit({ exitCode: 137, signal: 'SIGKILL' }))).toEqual({
      status: 'failed',
      error: 'worker killed by SIGKILL',
      crash: true,
    });
  });

  it('lets what the host saw win over the exit code', () => {
    expect(verdictOf(exit({ exitCode: 124, failure: 'timeout' }))).toEqual({ status: 'timeout', error: 'timeout' });
    expect(verdictOf(exit({ exitCode: 137, signal: 'SIGKILL', failure: 'memory_limit_exceeded' }))).toEqual({
      status: 'failed',
      error: 'memory_limit_exceeded',
    });
    expect(verdictOf(exit({ exitCode: 137, failure: 'ipc_frame_oversize' }))).toEqual({ status: 'failed', error: 'ipc_frame_oversize' });
    expect(verdictOf(exit({ exitCode: 3, failure: 'worker_stdin_closed' }))).toEqual({ status: 'failed', error: 'worker_stdin_closed' });
    expect(verdictOf(exit({ exitCode: 3, failure: 'spawn_failed', detail: 'spawn_failed: ENOENT' }))).toEqual({
      status: 'failed',
      error: 'spawn_failed: ENOENT',
      crash: true,
    });
  });
});
