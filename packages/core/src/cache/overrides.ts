import type { HardProblemClass } from '../constants/index.js';
import { parseUtcTimestamp, type ValidationOverride } from '../schemas/index.js';

/** An override entry (not a tombstone). */
export type OverrideEntry = Extract<ValidationOverride, { revoked: false }>;
/** A tombstone entry, revoking the override whose id it names. */
export type TombstoneEntry = Extract<ValidationOverride, { revoked: true }>;

/**
 * The overrides active at `now` (§11.3 matching algorithm, core.md F6): not revoked, not named
 * by a tombstone, and not expired. An unparseable expiry counts as expired; a naive one is UTC.
 */
export function activeOverrides(entries: readonly ValidationOverride[], now: Date): OverrideEntry[] {
  const revoked = new Set<string>();
  for (const entry of entries) if (entry.revoked) revoked.add(entry.revokes);
  return entries.filter((entry): entry is OverrideEntry => {
    if (entry.revoked || revoked.has(entry.id)) return false;
    if (entry.expires_at === undefined || entry.expires_at === null) return true;
    const expiry = parseUtcTimestamp(entry.expires_at);
    return expiry !== null && expiry.getTime() > now.getTime();
  });
}

/** True when an active override names `problemClass`. */
export function isOverrideActive(entries: readonly ValidationOverride[], problemClass: string, now: Date): boolean {
  return activeOverrides(entries, now).some((entry) => entry.problem_class === (problemClass as HardProblemClass));
}

/** Ids that tombstones revoke but that no entry has (logged as warnings, never errors). */
export function danglingTombstones(entries: readonly ValidationOverride[]): string[] {
  const ids = new Set(entries.map((entry) => entry.id));
  return entries.flatMap((entry) => (entry.revoked && !ids.has(entry.revokes) ? [entry.revokes] : []));
}
