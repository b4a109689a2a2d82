import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeOverrides, CacheWriter, creationJsonPath, danglingTombstones, isOverrideActive, readCreationJson } from '@exlab/core/cache';
import { ExLabError } from '@exlab/core/errors';
import { recordingLogger } from './recording-logger.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NOW = new Date('2026-04-18T09:14:22Z');
const REASON = 'Vendor template uses literal angle brackets for run codes.';

let dir: string;
let now: Date;
let logger: ReturnType<typeof recordingLogger>;
let writer: CacheWriter;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-overrides-'));
  await mkdir(join(dir, '.exlab-wizard'));
  await writeFile(creationJsonPath(dir), readFileSync(join(import.meta.dirname, 'fixtures', 'creation-1.9-extra-keys.json')));
  now = NOW;
  logger = recordingLogger();
  writer = new CacheWriter({ logger, clock: () => now });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const seconds = (n: number): Date => new Date(NOW.getTime() + n * 1000);

async function rejection(promise: Promise<unknown>): Promise<ExLabError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('CacheWriter.appendOverride', () => {
  it('appends an override with a UUID v4 id, recorded_at now, revoked false and no expiry', async () => {
    const entry = await writer.appendOverride(dir, {
      problem_class: 'unresolved_placeholder_token',
      operator: ' asmith ',
      reason: ` ${REASON} `,
    });
    expect(entry).toEqual({
      id: expect.stringMatching(UUID_V4),
      problem_class: 'unresolved_placeholder_token',
      operator: 'asmith',
      recorded_at: '2026-04-18T09:14:22Z',
      expires_at: null,
      reason: REASON,
      revoked: false,
    });
    expect((await readCreationJson(dir)).validation_overrides).toEqual([entry]);
  });

  it('treats an override that expired 1 s ago as inactive and one expiring later as active', async () => {
    await writer.appendOverride(dir, {
      problem_class: 'leftover_jinja_marker',
      operator: 'asmith',
      reason: REASON,
      expires_at: seconds(1),
    });
    await writer.appendOverride(dir, {
      problem_class: 'mode_prefix_mismatch',
      operator: 'asmith',
      reason: REASON,
      expires_at: '2026-10-18T09:14:22+00:00',
    });
    const entries = (await readCreationJson(dir)).validation_overrides;
    expect(entries.map((entry) => (entry.revoked ? null : entry.expires_at))).toEqual(['2026-04-18T09:14:23Z', '2026-10-18T09:14:22Z']);
    const twoSecondsLater = seconds(2);
    expect(activeOverrides(entries, twoSecondsLater).map((entry) => entry.problem_class)).toEqual(['mode_prefix_mismatch']);
    expect(isOverrideActive(entries, 'leftover_jinja_marker', twoSecondsLater)).toBe(false);
    expect(isOverrideActive(entries, 'leftover_jinja_marker', NOW)).toBe(true);
    // Expired entries stay in the list for the audit trail.
    expect(entries).toHaveLength(2);
  });

  it.each(['orphan', 'missing_required_field', 'malformed_yaml_front_matter', 'no_such_rule'])(
    'rejects problem class %s with validation_failed naming the allowed values, writing nothing',
    async (problemClass) => {
      const before = await readFile(creationJsonPath(dir));
      const error = await rejection(writer.appendOverride(dir, { problem_class: problemClass, operator: 'asmith', reason: REASON }));
      expect(error).toMatchObject({ code: 'validation_failed', field: 'problem_class' });
      expect(error.details?.allowed).toEqual([
        'unresolved_placeholder_token',
        'leftover_jinja_marker',
        'illegal_filesystem_character',
        'reserved_filesystem_name',
        'mode_prefix_mismatch',
      ]);
      expect(error.message).toContain('unresolved_placeholder_token, leftover_jinja_marker');
      expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
    },
  );

  it.each([
    ['a blank operator', { operator: '  ' }, 'validation_failed', 'operator'],
    ['a reason under 10 characters', { reason: ' too short ' }, 'validation_failed', 'reason'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'field_too_long', 'reason'],
    ['an expiry in the past', { expires_at: seconds(-1) }, 'validation_failed', 'expires_at'],
    ['an expiry that is not a timestamp', { expires_at: 'next week' }, 'validation_failed', 'expires_at'],
  ])('rejects %s', async (_label, change, code, field) => {
    const request = { problem_class: 'leftover_jinja_marker', operator: 'asmith', reason: REASON, ...change };
    expect(await rejection(writer.appendOverride(dir, request))).toMatchObject({ code, field });
    expect((await readCreationJson(dir)).validation_overrides).toEqual([]);
  });
});

describe('CacheWriter.revokeOverride', () => {
  it('appends a tombstone that makes the override inactive and leaves the override in place', async () => {
    const override = await writer.appendOverride(dir, { problem_class: 'leftover_jinja_marker', operator: 'asmith', reason: REASON });
    now = seconds(60);
    const tombstone = await writer.revokeOverride(dir, { revokes: override.id, operator: 'bjones', reason: 'Vendor fixed the template.' });
    expect(tombstone).toEqual({
      id: expect.stringMatching(UUID_V4),
      revokes: override.id,
      operator: 'bjones',
      recorded_at: '2026-04-18T09:15:22Z',
      reason: 'Vendor fixed the template.',
      revoked: true,
    });
    const entries = (await readCreationJson(dir)).validation_overrides;
    expect(entries).toEqual([override, tombstone]);
    expect(activeOverrides(entries, now)).toEqual([]);
    expect(logger.warnings).toEqual([]);
  });

  it('writes a tombstone for an unknown id but logs a WARN, and it has no effect', async () => {
    const override = await writer.appendOverride(dir, { problem_class: 'leftover_jinja_marker', operator: 'asmith', reason: REASON });
    const tombstone = await writer.revokeOverride(dir, { revokes: 'no-such-id', operator: 'bjones', reason: 'Cleaning up an old entry.' });
    const entries = (await readCreationJson(dir)).validation_overrides;
    expect(entries).toEqual([override, tombstone]);
    expect(danglingTombstones(entries)).toEqual(['no-such-id']);
    expect(activeOverrides(entries, NOW)).toEqual([override]);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.msg).toContain('no-such-id');
    expect(logger.warnings[0]?.fields).toMatchObject({ revokes: 'no-such-id' });
  });
});
