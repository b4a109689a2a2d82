import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES } from '../constants/index.js';
import { parseUtcTimestamp, type Config, type SyncJob, type ValidationOverride } from '../schemas/index.js';

/** Why a verified job may not (yet) have its local copy removed; null when it may. */
export type CleanupHold =
  | { reason: 'verify_passes'; detail: string }
  | { reason: 'min_age'; detail: string; until: Date }
  | { reason: 'override_revoked'; detail: string };

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

/** What a cleanup removed. */
export interface CleanupReport {
  files: number;
  bytes: number;
  /** True when the whole folder went (`retain_cache: false`). */
  folderRemoved: boolean;
}

/**
 * Removes a synced run's local data (§7.1.10): everything but `.exlab-wizard/` when `retainCache`
 * (metadata-only retention, the default), or the whole folder. Counts files and bytes first.
 */
export async function removeRunData(dir: string, retainCache: boolean): Promise<CleanupReport> {
  const entries = await readdir(dir, { withFileTypes: true });
  const removed = retainCache ? entries.filter((entry) => entry.name !== FILE_NAMES.cacheDir) : entries;
  let files = 0;
  let bytes = 0;
  for (const entry of removed) {
    const counted = await countTree(join(dir, entry.name));
    files += counted.files;
    bytes += counted.bytes;
  }
  if (retainCache) {
    for (const entry of removed) await rm(join(dir, entry.name), { recursive: true, force: true });
  } else {
    await rm(dir, { recursive: true, force: true });
  }
  return { files, bytes, folderRemoved: !retainCache };
}

async function countTree(path: string): Promise<{ files: number; bytes: number }> {
  const info = await lstat(path);
  if (!info.isDirectory()) return { files: 1, bytes: info.size };
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(path)) {
    const counted = await countTree(join(path, entry));
    files += counted.files;
    bytes += counted.bytes;
  }
  return { files, bytes };
}
