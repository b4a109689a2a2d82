import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES } from '../constants/index.js';
import { parseUtcTimestamp, type Config, type SyncJob, type ValidationOverride } from '../schemas/index.js';
import type { ScannedFolder } from './manifest.js';

/** Why a verified job may not (yet) have its local copy removed; null when it may. */
export type CleanupHold =
  | { reason: 'verify_passes'; detail: string }
  | { reason: 'min_age'; detail: string; until: Date }
  | { reason: 'override_revoked'; detail: string }
  | { reason: 'not_carried'; detail: string };

/**
 * Interlocks 1, 2 and 4 of §7.1.6 (S8) at `now`: enough verification passes, the last one at
 * least `min_age_hours` old, and no override revoked since the last verification or within
 * `min_age_hours` (an unreadable revocation time holds too). Interlock 3, the NAS answering, is
 * checked by the reaper at deletion time.
 */
export function cleanupHold(
  job: Pick<SyncJob, 'verify_passes' | 'verified_at'>,
  overrides: readonly ValidationOverride[],
  settings: Config['nas_cleanup'],
  now: Date,
): CleanupHold | null {
  if (job.verify_passes < settings.min_verify_passes) {
    return { reason: 'verify_passes', detail: `${job.verify_passes} of ${settings.min_verify_passes} verification passes` };
  }
  const verifiedAt = job.verified_at === null ? null : parseUtcTimestamp(job.verified_at);
  const minAgeMs = settings.min_age_hours * 3_600_000;
  if (verifiedAt === null)
    return { reason: 'min_age', detail: 'no verification time is recorded', until: new Date(now.getTime() + minAgeMs) };
  const until = new Date(verifiedAt.getTime() + minAgeMs);
  if (now < until) return { reason: 'min_age', detail: `verified ${job.verified_at}; kept until ${until.toISOString()}`, until };
  const windowStart = Math.min(verifiedAt.getTime(), now.getTime() - minAgeMs);
  for (const entry of overrides) {
    if (!entry.revoked) continue;
    const at = parseUtcTimestamp(entry.recorded_at);
    if (at === null || at.getTime() >= windowStart) {
      return { reason: 'override_revoked', detail: `an override was revoked at ${entry.recorded_at} (tombstone ${entry.id})` };
    }
  }
  return null;
}

/** What a cleanup removed, and what it left because it changed after the verification. */
export interface CleanupReport {
  files: number;
  bytes: number;
  /** Files that changed or appeared after they were hashed: kept, never deleted. */
  kept: string[];
  /** True when the run folder itself is gone (`retain_cache: false` and nothing kept). */
  folderRemoved: boolean;
}

/**
 * Removes a synced run's local data (§7.1.10) file by file: only the files `scanned` hashed (and
 * the NAS was found to hold), and only while each is still the file that was hashed (same device,
 * inode, size and modification time). Anything written or changed meanwhile is kept and reported.
 * Folders left empty are removed; `.exlab-wizard/` stays unless `scanned` covered it
 * (`retain_cache: false`), and the run folder goes only when nothing is left in it.
 */
export async function removeVerifiedFiles(dir: string, scanned: ScannedFolder, signal?: AbortSignal): Promise<CleanupReport> {
  const report: CleanupReport = { files: 0, bytes: 0, kept: [], folderRemoved: false };
  for (const [path, identity] of scanned.files) {
    signal?.throwIfAborted();
    const absolute = join(dir, ...path.split('/'));
    const now = await lstat(absolute).catch(() => null);
    if (now === null) continue;
    if (
      !now.isFile() ||
      now.dev !== identity.dev ||
      now.ino !== identity.ino ||
      now.size !== identity.size ||
      now.mtimeMs !== identity.mtimeMs
    ) {
      report.kept.push(path);
      continue;
    }
    await unlink(absolute);
    report.files += 1;
    report.bytes += identity.size;
  }
  const keepCache = ![...scanned.files.keys()].some((path) => path.startsWith(`${FILE_NAMES.cacheDir}/`));
  await removeEmptyFolders(dir, keepCache);
  if (!keepCache)
    report.folderRemoved = await rmdir(dir).then(
      () => true,
      () => false,
    );
  return report;
}

// Deepest first; a folder that is not empty (something kept or new) stays, as does the cache folder when kept.
async function removeEmptyFolders(dir: string, keepCache: boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if (keepCache && entry.name === FILE_NAMES.cacheDir) continue;
    const child = join(dir, entry.name);
    await removeEmptyFolders(child, false);
    await rmdir(child).catch(() => undefined);
  }
}
