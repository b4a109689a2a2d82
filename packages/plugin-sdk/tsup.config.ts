import type { Options } from 'tsup';
import { entriesFromExports, packageBuild } from '../../tsup.shared.js';

const { worker, ...libraryEntries } = entriesFromExports(import.meta.dirname);
const library = packageBuild(import.meta.dirname) as Options;

export default [
  // The library: every public subpath sharing chunks. resolve-hooks and protocol are loaded by
  // register.ts through a URL, never imported, so they are listed here. The build of the worker
  // below runs beside this one, so the clean-up leaves its output alone.
  {
    ...library,
    entry: { ...libraryEntries, 'resolve-hooks': 'src/resolve-hooks.ts', protocol: 'src/protocol.ts' },
    clean: ['!worker.js', '!worker.js.map'],
  },
  // The worker process entry as one file with no chunks: a worker starts once per plugin per
  // creation, and every extra module it loads is paid at each start.
  { ...library, entry: { worker: worker as string }, splitting: false, clean: false },
] satisfies Options[];
