import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabEntry } from './lab-entries.js';

/**
 * Writes entries under `out`, creating parent folders once each. Synchronous on purpose: a
 * generator run is a batch job of many small files, and plain sequential writes keep the
 * resulting tree identical from run to run.
 */
export function writeLabEntries(out: string, entries: Iterable<LabEntry>): { files: number; bytes: number } {
  const made = new Set<string>();
  const ensureDir = (dir: string): void => {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  };
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    const target = join(out, ...entry.path.split('/'));
    if ('dir' in entry) {
      ensureDir(target);
      continue;
    }
    ensureDir(dirname(target));
    writeFileSync(target, entry.content);
    files += 1;
    bytes += typeof entry.content === 'string' ? Buffer.byteLength(entry.content) : entry.content.byteLength;
  }
  return { files, bytes };
}
