import { SCHEMA_VERSIONS } from '../constants/index.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readFile } from 'node:fs/promises';
import { parseJsonText } from '../io/read.js';
import type { ServerInfo } from '../schemas/server-info.js';
import { errnoCode } from './errno.js';
import { serverInfoSchemas } from './file-schemas.js';
import { removeIfOwned, removeIfOwnedSync, type StateFileOwner } from './owned-file.js';

/**
 * Writes server.json atomically (lifecycle.md P3): temp file in the same directory, fsync,
 * rename, mode 0600; the temp file is removed on failure. The directory must exist already
 * (see `ensureWritableDir`), so a vanished state dir is never recreated with loose permissions.
 * `schema_version` defaults to the current one.
 */
export async function writeServerInfo(path: string, info: ServerInfo): Promise<void> {
  const content: ServerInfo = { schema_version: SCHEMA_VERSIONS.server_json, ...info };
  await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, mkdirs: false });
}

/**
 * Reads server.json: null when the file does not exist; throws `cache_file_invalid` when it is
 * not JSON or breaks `ServerInfoSchema`; other I/O errors (EACCES, EISDIR) propagate.
 */
export async function readServerInfo(path: string): Promise<ServerInfo | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
  return parseJsonText(path, text, (await serverInfoSchemas()).ServerInfoSchema);
}

/** Deletes server.json only if it names `owner`'s pid and instance_id (T3); true when it was deleted. */
export function removeServerInfoIfOwned(path: string, owner: StateFileOwner): Promise<boolean> {
  return removeIfOwned(path, owner);
}

/** Synchronous {@link removeServerInfoIfOwned} for `process.on('exit')` hooks: best effort, never throws. */
export function removeServerInfoIfOwnedSync(path: string, owner: StateFileOwner): boolean {
  return removeIfOwnedSync(path, owner);
}
