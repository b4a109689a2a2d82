/**
 * Entry of a plugin worker process (§6.3.1, requirements A6-A8). The host spawns
 * `node [--import @exlab/plugin-sdk/register] worker.js` with the run folder as cwd and writes
 * one invoke line on stdin. stdout carries only the answer frame: `console.*` and
 * `process.stdout.write` are sent to stderr, where log frames go too. Exit codes: 0 success,
 * 1 PluginError, 2 PluginInputRequired, 3 anything else.
 */
import { Console } from 'node:console';
import { createStderrLogger } from './logger.js';
import type { InvokeRequest } from './ipc.js';
import { FRAME_MAX_BYTES, PROTOCOL_VERSION, WORKER_EXIT_CODES } from './protocol.js';
import { runTransform, runValidation } from './runtime.js';
import { errorMessage } from './errors.js';

/** How often the worker checks that its parent is still the host that spawned it. */
const PARENT_CHECK_MS = 250;

const realStdoutWrite = process.stdout.write.bind(process.stdout);

// stdout is reserved for the one answer frame (A7): everything else a plugin prints goes to stderr.
process.stdout.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) =>
  (process.stderr.write as (...args: unknown[]) => boolean)(chunk, encoding, callback)) as typeof process.stdout.write;
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });

const stderrWrite = process.stderr.write.bind(process.stderr);
function note(message: string): void {
  stderrWrite(`${JSON.stringify({ level: 'error', message })}\n`);
}

// A worker never outlives its host: when the parent changes (the host died), exit (A6).
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) process.exit(WORKER_EXIT_CODES.crash);
}, PARENT_CHECK_MS).unref();

/** Reads stdin line by line, refusing lines over the frame cap; null at end of input. */
function lineReader(): () => Promise<string | null> {
  let buffer = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  process.stdin.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake?.();
  });
  process.stdin.on('end', () => {
    ended = true;
    wake?.();
  });
  process.stdin.on('error', () => {
    ended = true;
    wake?.();
  });
  return async () => {
    for (;;) {
      const newline = buffer.indexOf(10);
      if (newline >= 0) {
        const line = buffer.subarray(0, newline).toString('utf8');
        buffer = buffer.subarray(newline + 1);
        if (newline > FRAME_MAX_BYTES) throw new RangeError(`request frame is over ${FRAME_MAX_BYTES} bytes`);
        return line;
      }
      if (buffer.length > FRAME_MAX_BYTES) throw new RangeError(`request frame is over ${FRAME_MAX_BYTES} bytes`);
      if (ended) {
        if (buffer.length === 0) return null;
        const rest = buffer.toString('utf8');
        buffer = Buffer.alloc(0);
        return rest;
      }
      await new Promise<void>((resolveWake) => (wake = resolveWake));
      wake = null;
    }
  };
}

/** Light checks of a request; the host built it from the zod schemas, so only gross breakage is caught here. */
function parseRequest(line: string): InvokeRequest {
  const value = JSON.parse(line) as Partial<InvokeRequest> | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    value.kind !== 'invoke' ||
    value.protocol !== PROTOCOL_VERSION ||
    typeof value.request_id !== 'string' ||
    (value.mode !== 'transform' && value.mode !== 'validate') ||
    typeof value.plugin_dir !== 'string' ||
    typeof value.context !== 'object' ||
    value.context === null ||
    !Array.isArray(value.files)
  ) {
    throw new TypeError(`not an invoke request of protocol ${PROTOCOL_VERSION}`);
  }
  return value as InvokeRequest;
}

/** Writes the answer frame on the real stdout and resolves when it is handed to the OS. */
function writeFrame(frame: object): Promise<void> {
  let line = JSON.stringify(frame);
  if (Buffer.byteLength(line) > FRAME_MAX_BYTES) {
    const id = (frame as { request_id?: string }).request_id ?? '';
    line = JSON.stringify({
      kind: 'result',
      request_id: id,
      result: 'failed',
      per_file: [],
      input_required: null,
      error_message: 'ipc_frame_oversize',
      peak_memory_mb: 0,
    });
  }
  return new Promise((resolveWrite) => realStdoutWrite(`${line}\n`, () => resolveWrite()));
}

async function main(): Promise<number> {
  const nextLine = lineReader();
  const logger = createStderrLogger();
  let request = parseRequest((await nextLine()) ?? '');
  if (request.mode === 'validate') {
    const outcome = await runValidation(request, { logger });
    await writeFrame(outcome.frame);
    if (request.hold !== true || outcome.exitCode !== WORKER_EXIT_CODES.success) return outcome.exitCode;
    // Held after validation: the host sends the transform request when this plugin's turn comes.
    const next = await nextLine();
    if (next === null || next === '') return WORKER_EXIT_CODES.success;
    request = parseRequest(next);
    if (request.mode !== 'transform') throw new TypeError('a held worker expects a transform request');
  }
  const outcome = await runTransform(request, { logger });
  await writeFrame(outcome.frame);
  return outcome.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(`plugin worker failed: ${errorMessage(error)}`);
    process.exit(WORKER_EXIT_CODES.crash);
  },
);
