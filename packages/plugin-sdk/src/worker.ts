/**
 * Entry of a plugin worker process (§6.3.1, requirements A6-A8). The host spawns `node worker.js`
 * with the run folder as cwd and writes one invoke line on stdin. stdout carries only the answer
 * frame: `console.*` and `process.stdout` are sent to stderr, where log frames go too. Exit codes:
 * 0 success, 1 PluginError, 2 PluginInputRequired, 3 anything else.
 *
 * Start-up cost is paid once per plugin per creation, so the built worker is one self-contained
 * file (no chunks, no `--import` preload): it installs the `@exlab/plugin-sdk` resolve hook
 * itself before it imports the plugin, and it exports the SDK's public API so that a plugin's
 * `import '@exlab/plugin-sdk'` gets this already-loaded module. It talks to the host through the
 * raw file descriptors and never builds Node's stdio streams (with `net` and the stream modules
 * they load) unless a plugin writes to the console. From the TypeScript sources (tests) the
 * `register` preload installs the hooks, as the sources' own imports need them first.
 */
import { errorMessage } from './errors.js';
import type { InvokeRequest } from './ipc.js';
import { createPluginLogger } from './logger.js';
import { FRAME_MAX_BYTES, PROTOCOL_VERSION, WORKER_COMPILE_CACHE_ENV, WORKER_EXIT_CODES } from './protocol.js';
import { initialize, resolveSync } from './resolve-hooks.js';
import type { PluginClass } from './plugin.js';
import { loadPluginClass, runTransform, runValidation } from './runtime.js';

export * from './index.js';

/** How often the worker checks that its parent is still the host that spawned it. */
const PARENT_CHECK_MS = 250;
/** Bytes asked of stdin per read. */
const READ_CHUNK_BYTES = 64 * 1024;

const fs = process.getBuiltinModule('node:fs');
const nodeModule = process.getBuiltinModule('node:module');
const fromSources = import.meta.url.endsWith('.ts');

// The compile cache named by the host (a no-op on a Node without it, and never throws): the
// plugin and whatever it imports are compiled once, not at every worker start.
const compileCacheDir = process.env[WORKER_COMPILE_CACHE_ENV];
if (!fromSources && compileCacheDir !== undefined && compileCacheDir !== '') nodeModule.enableCompileCache?.(compileCacheDir);

// `@exlab/plugin-sdk` in plugin code resolves to this module (see resolve-hooks.ts). In-thread
// `module.registerHooks` where Node has it; else `module.register`, which runs the hooks in a
// thread of their own.
if (!fromSources) {
  const data = { sdkEntryUrl: import.meta.url, sdkMainUrl: import.meta.url };
  const registerHooks = (nodeModule as { registerHooks?: (hooks: { resolve: typeof resolveSync }) => unknown }).registerHooks;
  if (typeof registerHooks === 'function') {
    initialize(data);
    registerHooks({ resolve: resolveSync });
  } else {
    nodeModule.register(new URL('./resolve-hooks.js', import.meta.url), { parentURL: import.meta.url, data });
  }
}

// stdout is reserved for the one answer frame (A7): whatever a plugin prints through
// `process.stdout` or the global console (which looks `process.stdout` up on first use) goes to
// stderr. Node's own stdout stream is only built if the frame ever needs it (see writeAll).
const stdoutGetter = Object.getOwnPropertyDescriptor(process, 'stdout')?.get;
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => process.stderr });

/** The errno code of a failed fs call. */
function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** File descriptors that turned out non-blocking: everything after goes through Node's stream, in order. */
const streamedFds = new Set<number>();

/**
 * Writes `text` to `fd` synchronously (the host's end of a pipe reads as we go); where the fd
 * is non-blocking and full, the rest, and every later write to it, goes through `fallback`,
 * Node's stream for that fd.
 */
function writeAll(fd: number, text: string, fallback: () => NodeJS.WritableStream): Promise<void> {
  const bytes = Buffer.from(text);
  let offset = 0;
  if (!streamedFds.has(fd)) {
    try {
      while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
      return Promise.resolve();
    } catch (error) {
      if (codeOf(error) !== 'EAGAIN') return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      streamedFds.add(fd);
    }
  }
  return new Promise((resolveWrite, reject) => {
    fallback().write(bytes.subarray(offset), (error) => (error ? reject(error) : resolveWrite()));
  });
}

/** One line on stderr: log frames and the worker's own notes. */
function writeStderr(line: string): void {
  writeAll(2, line, () => process.stderr).catch(() => undefined);
}

// A worker never outlives its host: when the parent changes (the host died), exit (A6).
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) process.exit(WORKER_EXIT_CODES.crash);
}, PARENT_CHECK_MS).unref();

/**
 * The next chunk of stdin, or null at its end. Read straight from fd 0: the first read blocks
 * the thread (the host writes the request as it spawns the worker, and until it arrives there is
 * nothing else to do); later ones, such as a held worker's wait for its transform request, run
 * in libuv's thread pool. A non-blocking fd 0 (EAGAIN) switches to Node's stdin stream.
 */
function stdinChunks(): () => Promise<Buffer | null> {
  let stream: AsyncIterator<Buffer> | null = null;
  let first = true;
  const fromStream = async (): Promise<Buffer | null> => {
    stream ??= (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const next = await stream.next();
    return next.done === true ? null : next.value;
  };
  const ended = (error: unknown): boolean => codeOf(error) === 'EOF' || codeOf(error) === 'EBADF';
  return () => {
    if (stream !== null) return fromStream();
    if (first) {
      first = false;
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      try {
        const bytes = fs.readSync(0, chunk, 0, chunk.length, null);
        return Promise.resolve(bytes === 0 ? null : chunk.subarray(0, bytes));
      } catch (error) {
        if (ended(error)) return Promise.resolve(null);
        if (codeOf(error) === 'EAGAIN') return fromStream();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return new Promise((resolveRead, reject) => {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      fs.read(0, chunk, 0, chunk.length, null, (error, bytes) => {
        if (error === null) resolveRead(bytes === 0 ? null : chunk.subarray(0, bytes));
        else if (codeOf(error) === 'EAGAIN') fromStream().then(resolveRead, reject);
        else if (ended(error)) resolveRead(null);
        else reject(error);
      });
    });
  };
}

/** Reads stdin line by line, refusing lines over the frame cap; null at end of input. Reads only when asked. */
function lineReader(): () => Promise<string | null> {
  const nextChunk = stdinChunks();
  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
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
      const chunk = await nextChunk();
      if (chunk === null) ended = true;
      else buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
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
  return writeAll(1, `${line}\n`, () => stdoutGetter?.call(process) as NodeJS.WritableStream);
}

async function main(): Promise<number> {
  const nextLine = lineReader();
  const logger = createPluginLogger(writeStderr);
  // A held worker transforms with the class its validation imported, without asking the module loader again.
  const loaded = new Map<string, Promise<PluginClass>>();
  const load = (pluginDir: string): Promise<PluginClass> => {
    let entry = loaded.get(pluginDir);
    if (entry === undefined) loaded.set(pluginDir, (entry = loadPluginClass(pluginDir)));
    return entry;
  };
  let request = parseRequest((await nextLine()) ?? '');
  if (request.mode === 'validate') {
    const outcome = await runValidation(request, { logger, load });
    await writeFrame(outcome.frame);
    if (request.hold !== true || outcome.exitCode !== WORKER_EXIT_CODES.success) return outcome.exitCode;
    // Held after validation: the host sends the transform request when this plugin's turn comes.
    const next = await nextLine();
    if (next === null || next === '') return WORKER_EXIT_CODES.success;
    request = parseRequest(next);
    if (request.mode !== 'transform') throw new TypeError('a held worker expects a transform request');
  }
  const outcome = await runTransform(request, { logger, load });
  await writeFrame(outcome.frame);
  return outcome.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    writeStderr(`${JSON.stringify({ level: 'error', message: `plugin worker failed: ${errorMessage(error)}` })}\n`);
    process.exit(WORKER_EXIT_CODES.crash);
  },
);
