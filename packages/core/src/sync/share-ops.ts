/**
 * Operations on a mounted NAS share (transport `local`), each run in a share process
 * (`share-child.ts`) so that a share that hangs cannot take the tray's file-system threads with
 * it: the process is stopped when it shows no progress for {@link SHARE_STALL_MS}.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SyncFailureKind } from '../constants/index.js';
import { corePackageDir } from '../paths/core-package.js';
import { describeOutcome, runCommand } from './run-command.js';
import { PROGRESS_TICK, ShareOpAnswerSchema, ShareOpErrorSchema, type ShareOpAnswer, type ShareOpRequest } from './share-protocol.js';
import type { Command } from './transport.js';

/** A share process that shows no progress for this long is stopped (as rsync's `--timeout=600`). */
export const SHARE_STALL_MS = 600_000;

/** Options of {@link runShareOp}. */
export interface ShareOpOptions {
  /** The Node program that runs the share process (default this process's). */
  node?: string;
  /** Its environment (default this process's, without NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the share process. */
  signal?: AbortSignal;
  /** No progress for this long stops it (default {@link SHARE_STALL_MS}). */
  stallMs?: number;
}

/**
 * A share operation that failed: the OS error code, `ESTALLED` when it hung, `ESHARESPAWN` when
 * the share process could not be started, `ESHARECHILD` when it died without an answer.
 */
export class ShareOpError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ShareOpError';
    this.code = code;
  }
}

/**
 * What a failed share operation means for a sync job: a share process that cannot be started is
 * `transport_unavailable`; a write the share refuses is `auth`; the rest is `network`, retried
 * with back-off (a read refused while hashing too: an expired ticket of a Kerberos mount comes back).
 */
export function shareFailureKind(error: ShareOpError, op: ShareOpRequest['op']): SyncFailureKind {
  if (error.code === 'ESHARESPAWN') return 'transport_unavailable';
  if (op === 'copy' && (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS')) return 'auth';
  return 'network';
}

/** The share process's script and the Node flags it needs: the built one, else the source through tsx. */
function shareChildArgs(): string[] {
  const core = corePackageDir();
  const built = join(core, 'dist', 'sync', 'share-child.js');
  if (existsSync(built)) return [built];
  const tsx = pathToFileURL(createRequire(join(core, 'package.json')).resolve('tsx')).href;
  return ['--conditions=@exlab/source', '--import', tsx, join(core, 'src', 'sync', 'share-child.ts')];
}

/** The command line of one share operation. */
export function shareOpCommand(request: ShareOpRequest, node: string = process.execPath): Command {
  const { op, ...args } = request;
  return { file: node, args: [...shareChildArgs(), op, JSON.stringify(args)] };
}

/**
 * Runs one operation on a mounted share in a share process and returns its answer. Throws
 * {@link ShareOpError} when the operation failed, hung or the process could not run, and the
 * signal's reason when aborted.
 */
export async function runShareOp<R extends ShareOpRequest>(
  request: R,
  options: ShareOpOptions = {},
): Promise<Extract<ShareOpAnswer, { op: R['op'] }>> {
  const command = shareOpCommand(request, options.node);
  const env = { ...(options.env ?? process.env) };
  delete env.NODE_OPTIONS;
  const outcome = await runCommand(command, {
    env,
    stallMs: options.stallMs ?? SHARE_STALL_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.signal?.throwIfAborted();
  const where = request.op === 'copy' ? request.destination : request.op === 'hash' ? request.root : request.path;
  if (outcome.stalled)
    throw new ShareOpError(
      'ESTALLED',
      `${where} showed no progress for ${Math.round((options.stallMs ?? SHARE_STALL_MS) / 1000)} s (is the share hung?)`,
    );
  if (outcome.spawnError) throw new ShareOpError('ESHARESPAWN', describeOutcome(command, outcome));
  const last = outcome.stdout.trim().split('\n').at(-1) ?? '';
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(last);
  } catch {
    // Not an answer: the process died before it could print one.
  }
  if (outcome.exitCode === 0) {
    const answer = ShareOpAnswerSchema.safeParse(parsed);
    if (answer.success && answer.data.op === request.op) return answer.data as Extract<ShareOpAnswer, { op: R['op'] }>;
  }
  const failure = ShareOpErrorSchema.safeParse(parsed);
  if (failure.success) throw new ShareOpError(failure.data.error.code, failure.data.error.message);
  throw new ShareOpError(
    'ESHARECHILD',
    `the share process for ${where} failed: ${describeOutcome(command, { ...outcome, stderr: outcome.stderr.replaceAll(PROGRESS_TICK, '') })}`,
  );
}
