import { readFileSync, unlinkSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { errnoCode } from './errno.js';

/** The launch a state file (tray.lock, server.json) must name before we delete it. */
export interface StateFileOwner {
  /** Process id of the owning tray. */
  pid: number;
  /** Random id of the owning launch. */
  instance_id: string;
}

/** True when `text` is a JSON object naming `owner`'s pid and instance_id. */
function namesOwner(text: string, owner: StateFileOwner): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof raw !== 'object' || raw === null) return false;
  const record = raw as Record<string, unknown>;
  return record.pid === owner.pid && record.instance_id === owner.instance_id;
}

/** Deletes `path` only if it names `owner` (lifecycle.md T3); true when it was deleted. A missing file is not an error. */
export async function removeIfOwned(path: string, owner: StateFileOwner): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  if (!namesOwner(text, owner)) return false;
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Synchronous {@link removeIfOwned} for `process.on('exit')` hooks: best effort, never throws. */
export function removeIfOwnedSync(path: string, owner: StateFileOwner): boolean {
  try {
    if (!namesOwner(readFileSync(path, 'utf8'), owner)) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
