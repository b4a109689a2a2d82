import { appendFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENV, FILE_NAMES } from '../constants/index.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { formatUtcTimestamp } from '../schemas/timestamp.js';

/** The run dir a detached child was given (`EXLAB_RUN_DIR`), or null when it was not launched detached. */
export function currentRunDir(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const dir = env[ENV.runDir];
  return dir === undefined || dir === '' ? null : dir;
}

/** Appends one progress record to `<run dir>/messages.jsonl` (D1); a no-op outside a detached run. */
export async function postRunMessage(
  text: string,
  fields: Readonly<Record<string, unknown>> = {},
  runDir = currentRunDir(),
): Promise<void> {
  if (runDir === null) return;
  const line = `${JSON.stringify({ time: formatUtcTimestamp(new Date()), text, ...fields })}\n`;
  await appendFile(join(runDir, FILE_NAMES.runMessages), line, { mode: 0o600 });
}

/** Synchronous {@link postRunMessage} for exit hooks: best effort, never throws. */
export function postRunMessageSync(text: string, fields: Readonly<Record<string, unknown>> = {}, runDir = currentRunDir()): void {
  if (runDir === null) return;
  try {
    appendFileSync(join(runDir, FILE_NAMES.runMessages), `${JSON.stringify({ time: formatUtcTimestamp(new Date()), text, ...fields })}\n`, {
      mode: 0o600,
    });
  } catch {
    // The run dir may be gone; the result is best effort.
  }
}

/**
 * Writes `<run dir>/result.json` atomically (D1). A detached child's exit code is lost, so a run
 * that ends without this file reads as `died`; a clean exit must always call it.
 */
export async function writeRunResult(result: unknown, runDir = currentRunDir()): Promise<void> {
  if (runDir === null) return;
  const body = `${JSON.stringify({ time: formatUtcTimestamp(new Date()), result }, null, 2)}\n`;
  await writeFileAtomic(join(runDir, FILE_NAMES.runResult), body, { mode: 0o600, mkdirs: false });
}

/** Synchronous {@link writeRunResult} for `process.on('exit')`: temp file and rename, best effort, never throws. */
export function writeRunResultSync(result: unknown, runDir = currentRunDir()): void {
  if (runDir === null) return;
  const path = join(runDir, FILE_NAMES.runResult);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify({ time: formatUtcTimestamp(new Date()), result }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to remove.
    }
  }
}
