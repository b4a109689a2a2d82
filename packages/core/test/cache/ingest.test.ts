import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, ingestJsonPath, parseIngestJson, readIngestJson, type IngestHeader } from '@exlab/core/cache';
import { ExLabError } from '@exlab/core/errors';
import type { IngestState } from '@exlab/core/schemas';

const HEADER: IngestHeader = {
  project_name: 'Cortex Q3 Pilot',
  equipment_id: 'CONFOCAL_01',
  run_kind: 'test',
  run_path: 'CONFOCAL_01/Cortex Q3 Pilot/TestRuns/TestRun_2026-04-17T09-12',
  transport: 'smb_mount',
};

let dir: string;
let minute: number;
let writer: CacheWriter;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-ingest-'));
  minute = 0;
  // Each clock read is one minute after the previous one.
  writer = new CacheWriter({ clock: () => new Date(Date.UTC(2026, 3, 17, 9, 12 + minute++)) });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fixture(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ingest-1.1.json'), 'utf8')) as Record<string, unknown>;
}

describe('ingest.json', () => {
  it('starts a staged run in staging with one history entry', async () => {
    const started = await writer.startIngest(dir, HEADER, 'labpc-04');
    expect(started).toEqual({
      schema_version: '1.1',
      ...HEADER,
      current_state: 'staging',
      history: [{ state: 'staging', at: '2026-04-17T09:12:00Z', host: 'labpc-04' }],
    });
    expect(await readIngestJson(dir)).toEqual(started);
  });

  it('refuses a second start with cache_file_exists and leaves the first file untouched', async () => {
    await writer.startIngest(dir, HEADER, 'labpc-04');
    const before = await readFile(ingestJsonPath(dir));
    await expect(writer.startIngest(dir, { ...HEADER, transport: 'file_transfer' }, 'other')).rejects.toMatchObject({
      code: 'cache_file_exists',
    });
    expect((await readFile(ingestJsonPath(dir))).equals(before)).toBe(true);
  });

  it('moves forward through every state, appending {state, at, host} and the step details', async () => {
    await writer.startIngest(dir, HEADER, 'labpc-04');
    await writer.appendIngestState(dir, 'complete', 'labpc-04', { files_received: 142, bytes_received: 48_293_847_234 });
    await writer.appendIngestState(dir, 'sync_queued', 'labpc-04');
    await writer.appendIngestState(dir, 'sync_verified', 'labpc-04', {
      nas_path: '//nas01/lab/x',
      checksum_file: '.exlab-wizard/checksums.sha256',
    });
    const done = await writer.appendIngestState(dir, 'cleared', 'orchestrator-2');
    expect(done.current_state).toBe('cleared');
    expect(done.history.map((entry) => [entry.state, entry.at, entry.host])).toEqual([
      ['staging', '2026-04-17T09:12:00Z', 'labpc-04'],
      ['complete', '2026-04-17T09:13:00Z', 'labpc-04'],
      ['sync_queued', '2026-04-17T09:14:00Z', 'labpc-04'],
      ['sync_verified', '2026-04-17T09:15:00Z', 'labpc-04'],
      ['cleared', '2026-04-17T09:16:00Z', 'orchestrator-2'],
    ]);
    expect(done.history[1]).toMatchObject({ files_received: 142, bytes_received: 48_293_847_234 });
    expect(await readIngestJson(dir)).toEqual(done);
  });

  it('lets a step skip ahead, as a forced sync from staging does', async () => {
    await writer.startIngest(dir, HEADER, 'labpc-04');
    expect((await writer.appendIngestState(dir, 'sync_queued', 'labpc-04')).current_state).toBe('sync_queued');
  });

  it.each<[IngestState[], IngestState, IngestState[]]>([
    [['complete'], 'staging', ['sync_queued', 'sync_verified', 'cleared']],
    [['complete'], 'complete', ['sync_queued', 'sync_verified', 'cleared']],
    [['complete', 'sync_queued', 'sync_verified'], 'complete', ['cleared']],
    [['complete', 'sync_queued', 'sync_verified', 'cleared'], 'cleared', []],
  ])(
    'after %j refuses %s with validation_failed naming the allowed states, leaving the file byte-identical',
    async (steps, illegal, allowed) => {
      await writer.startIngest(dir, HEADER, 'labpc-04');
      for (const step of steps) await writer.appendIngestState(dir, step, 'labpc-04');
      const before = await readFile(ingestJsonPath(dir));
      const error: unknown = await writer.appendIngestState(dir, illegal, 'labpc-04').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExLabError);
      expect(error).toMatchObject({ code: 'validation_failed', field: 'state', details: { current_state: steps.at(-1), allowed } });
      expect((await readFile(ingestJsonPath(dir))).equals(before)).toBe(true);
    },
  );

  it('reads the §13.4 example and keeps its step details', () => {
    const read = parseIngestJson(fixture(), 'ingest.json');
    expect(read.current_state).toBe('sync_verified');
    expect(read.history[3]).toMatchObject({ checksum_file: '.exlab-wizard/checksums.sha256' });
  });

  it('rejects a file whose history moves backward or whose current_state is not its last state', () => {
    const document = fixture();
    const history = document.history as { state: string }[];
    history[2]!.state = 'staging';
    expect(() => parseIngestJson(document, 'ingest.json')).toThrow(
      expect.objectContaining({ code: 'cache_file_invalid', field: 'history[2].state' }),
    );
    expect(() => parseIngestJson({ ...fixture(), current_state: 'cleared' }, 'ingest.json')).toThrow(
      expect.objectContaining({ code: 'cache_file_invalid', field: 'current_state' }),
    );
  });

  it('refuses another major version', () => {
    expect(() => parseIngestJson({ ...fixture(), schema_version: '2.0' }, 'ingest.json')).toThrow(
      expect.objectContaining({ code: 'schema_major_mismatch', details: expect.objectContaining({ found: '2.0' }) }),
    );
  });
});
