/**
 * The process that touches a mounted NAS share for the sync (transport `local`): it hashes the
 * NAS copy of a run, copies a run onto the share when rsync is not installed, and looks at the
 * share's root. A share whose server died (NFS, SMB) blocks the file-system calls made on it; in
 * this process they block only this process, never the tray's own file-system threads, and the
 * tray stops it when it shows no progress (see `runShareOp`).
 *
 * Usage: `node share-child.js <op> <json arguments>`. It prints one JSON line on stdout, the
 * answer or `{"error": {code, message}}` (exit 1), and a progress tick (U+0006) on stderr at most once a second
 * while bytes move.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { copyFolder } from './folder-copy.js';
import { scanFolder } from './manifest.js';
import { PROGRESS_TICK, ShareOpRequestSchema, type ShareOpAnswer, type ShareOpRequest } from './share-protocol.js';

/** Whether bytes moved (or a file or listing finished) since the last progress tick. */
let moved = false;
const onBytes = (): void => {
  moved = true;
};
// The tray stops a share process with SIGTERM: the copy then removes its temporary file first.
const stopping = new AbortController();
process.once('SIGTERM', () => stopping.abort(new Error('stopped by the tray')));
const parentAtStart = process.ppid;
setInterval(() => {
  // A tray killed with -9 leaves this process alone in its own group: it stops too.
  if (process.ppid !== parentAtStart) stopping.abort(new Error('the tray is gone'));
  if (!moved) return;
  moved = false;
  process.stderr.write(PROGRESS_TICK);
}, 1_000).unref();

async function answer(request: ShareOpRequest): Promise<ShareOpAnswer> {
  switch (request.op) {
    case 'hash': {
      const exists = await stat(request.root).then(
        (info) => info.isDirectory(),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      // A NAS folder that is not there holds no files: the comparison then finds every file missing.
      if (!exists) return { op: 'hash', digests: [] };
      const scanned = await scanFolder(request.root, {
        skip: request.skip,
        includeCache: request.includeCache,
        onBytes,
        signal: stopping.signal,
      });
      return { op: 'hash', digests: [...scanned.digests] };
    }
    case 'copy': {
      const report = await copyFolder(request.source, request.destination, { exclude: request.exclude, onBytes, signal: stopping.signal });
      return { op: 'copy', ...report };
    }
    case 'probe': {
      const real = await realpath(request.path).catch(() => null);
      const info = real === null ? null : await stat(real).catch(() => null);
      const directory = info?.isDirectory() === true;
      const empty = request.checkEmpty && directory && real !== null ? (await readdir(real)).length === 0 : null;
      return { op: 'probe', real, directory, empty, dev: info === null ? null : info.dev };
    }
  }
}

function errorAnswer(error: unknown): { error: { code: string; message: string } } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return { error: { code: typeof code === 'string' ? code : 'EUNKNOWN', message: error instanceof Error ? error.message : String(error) } };
}

let exitCode = 0;
let output: unknown;
try {
  output = await answer(ShareOpRequestSchema.parse({ op: process.argv[2], ...(JSON.parse(process.argv[3] ?? '{}') as object) }));
} catch (error) {
  exitCode = 1;
  output = errorAnswer(error);
}
process.stdout.write(`${JSON.stringify(output)}\n`, () => process.exit(exitCode));
