/**
 * From a worker's exit to the status of its `plugins_applied` record (§6.3.4, requirements A10).
 */
import type { ResultFrame } from '@exlab/plugin-sdk/ipc';
import type { PluginStatus } from '../constants/index.js';
import type { WorkerExit } from './worker-process.js';

/** Status, error and crash flag of a finished plugin. */
export interface PluginVerdict {
  status: PluginStatus;
  error?: string | undefined;
  crash?: boolean | undefined;
}

function lastLine(exit: WorkerExit<unknown>): string | undefined {
  return exit.stderrTail.at(-1);
}

function crashMessage(exit: WorkerExit<ResultFrame>): string {
  if (exit.frame?.error_message) return exit.frame.error_message;
  const tail = lastLine(exit);
  if (exit.signal !== null) return `worker killed by ${exit.signal}${tail === undefined ? '' : `: ${tail}`}`;
  return `worker exited with code ${exit.exitCode}${tail === undefined ? '' : `: ${tail}`}`;
}

/**
 * A10: exit 0 with a handled file is success, with none skipped (or failed when every file it
 * took failed); 1 failed; 2 without a prompt failed; 3, other codes and signals failed with
 * crash; the host's timer is timeout. Host-detected failures carry their code as `error`.
 */
export function verdictOf(exit: WorkerExit<ResultFrame>): PluginVerdict {
  switch (exit.failure) {
    case 'timeout':
      return { status: 'timeout', error: 'timeout' };
    case 'memory_limit_exceeded':
    case 'ipc_frame_oversize':
    case 'worker_stdin_closed':
      return { status: 'failed', error: exit.failure };
    case 'bad_frame':
    case 'spawn_failed':
      return { status: 'failed', error: exit.detail ?? exit.failure, crash: true };
    default:
      break;
  }
  const frame = exit.frame;
  if (exit.exitCode === 0 && exit.signal === null) {
    if (frame === null) return { status: 'failed', error: 'the worker exited without a result frame', crash: true };
    const handled = frame.per_file.filter((f) => f.status === 'modified' || f.status === 'described').length;
    if (handled > 0) return { status: 'success' };
    const failed = frame.per_file.find((f) => f.status === 'failed');
    if (failed !== undefined) return { status: 'failed', error: failed.error ?? `${failed.path} failed` };
    return { status: 'skipped' };
  }
  if (exit.exitCode === 1 && exit.signal === null)
    return { status: 'failed', error: frame?.error_message ?? lastLine(exit) ?? 'PluginError' };
  if (exit.exitCode === 2 && exit.signal === null) return { status: 'failed', error: 'the worker asked for input without saying which' };
  return { status: 'failed', error: crashMessage(exit), crash: true };
}
