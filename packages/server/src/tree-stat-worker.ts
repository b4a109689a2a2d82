// Worker thread of GET /tree's checks (see folder-stats.ts): stats a list of folders with
// statSync, one system call each, and answers their identity and timestamps in one message. On
// the main thread each of the thousand stats of a 10k-run lab went through libuv's thread pool
// (a queue, a lock and a wake-up per stat), which cost more than the stats themselves.
//
// Kept free of imports but Node's, so Node runs it as it is from the sources (type stripping)
// as well as from the build.
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** A request: stat `paths`, or the paths of the previous request when null. */
interface FolderStatRequest {
  id: number;
  paths: readonly string[] | null;
}

/** The numbers a folder's stat gives, per path, in this order. */
const FIELDS = 5;

let paths: readonly string[] = [];

parentPort?.on('message', (request: FolderStatRequest) => {
  if (request.paths !== null) paths = request.paths;
  const values = new Float64Array(paths.length * FIELDS);
  const failures: [number, string][] = [];
  for (let index = 0; index < paths.length; index += 1) {
    try {
      // No folder there (ENOENT or ENOTDIR) answers undefined instead of throwing.
      const stats = statSync(paths[index] ?? '', { throwIfNoEntry: false });
      if (stats === undefined) {
        failures.push([index, 'ENOENT']);
        continue;
      }
      const at = index * FIELDS;
      values[at] = stats.dev;
      values[at + 1] = stats.ino;
      values[at + 2] = stats.mode;
      values[at + 3] = stats.mtimeMs;
      values[at + 4] = stats.ctimeMs;
    } catch (error) {
      failures.push([index, (error as { code?: string }).code ?? String(error)]);
    }
  }
  parentPort?.postMessage({ id: request.id, values, failures }, [values.buffer]);
});
