import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, creationJsonPath, readCreationJson, type CreationJsonBody } from '@exlab/core/cache';
import { exited, killAllChildren, lineReader, PACKAGE_ROOT, spawnTracked } from '../process/child-processes.js';

const WRITER = join(PACKAGE_ROOT, 'test', 'cache', 'fixtures', 'creation-writer.ts');
const WORKERS = 16;
const MUTATIONS = 25;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-creation-concurrency-'));
  const body = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'creation-1.9-extra-keys.json'), 'utf8')) as CreationJsonBody;
  await new CacheWriter().createCreation(dir, body);
});

afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

function spawnWriter(args: readonly string[]): ReturnType<typeof spawnTracked> {
  return spawnTracked(process.execPath, ['--import', 'tsx', '--conditions=@exlab/source', WRITER, ...args], { cwd: PACKAGE_ROOT });
}

describe('creation.json across processes', () => {
  it(`keeps all ${WORKERS * MUTATIONS} overrides when ${WORKERS} processes each apply ${MUTATIONS} updateCreation mutations at once`, async () => {
    const workers = Array.from({ length: WORKERS }, (_, i) => spawnWriter(['append', dir, String(i), String(MUTATIONS)]));
    const readers = workers.map(lineReader);
    expect(await Promise.all(readers.map((next) => next()))).toEqual(Array(WORKERS).fill('ready'));
    for (const worker of workers) worker.stdin?.write('go\n');

    let finished = false;
    const outcomes = Promise.all(readers.map((next) => next())).finally(() => {
      finished = true;
    });
    // Snapshot reads while the writers run never see a partial file: each one parses. The reads
    // are capped so the reader does not starve the writers of CPU on a small machine.
    let snapshots = 0;
    let lastCount = 0;
    while (!finished && snapshots < 300) {
      const count = (await readCreationJson(dir)).validation_overrides.length;
      expect(count).toBeGreaterThanOrEqual(lastCount);
      lastCount = count;
      snapshots += 1;
    }
    expect(await outcomes).toEqual(Array(WORKERS).fill('done'));
    expect(await Promise.all(workers.map(exited))).toEqual(Array(WORKERS).fill(0));
    expect(snapshots).toBeGreaterThan(0);

    const final = await readCreationJson(dir);
    expect(final.validation_overrides).toHaveLength(WORKERS * MUTATIONS);
    expect(new Set(final.validation_overrides.map((entry) => entry.id)).size).toBe(WORKERS * MUTATIONS);
    for (let w = 0; w < WORKERS; w += 1) {
      // Each worker's own mutations land in the order it made them.
      const mine = final.validation_overrides.filter((entry) => entry.operator === `worker-${w}`).map((entry) => entry.reason);
      expect(mine).toEqual(Array.from({ length: MUTATIONS }, (_, i) => `worker ${w} mutation ${i}`));
    }
    expect(final.relay_chain).toEqual([{ hop: 1, host: 'relay-1' }]);
    // No lock directory or temporary file is left behind.
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['creation.json']);
  }, 180_000);

  it('leaves creation.json byte-identical when a writer is killed with SIGKILL mid-cycle, and the next writer takes over its stale lock', async () => {
    const before = await readFile(creationJsonPath(dir));
    const child = spawnWriter(['hang', dir, '2000']);
    expect(await lineReader(child)()).toBe('ready');
    // The child is inside its mutate callback, holding the lock.
    expect((await readdir(join(dir, '.exlab-wizard'))).sort()).toEqual(['creation.json', 'creation.json.lock']);
    child.kill('SIGKILL');
    await exited(child);

    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
    expect(await readdir(join(dir, '.exlab-wizard'))).toContain('creation.json.lock');

    const written = await new CacheWriter({ staleMs: 2_000, lockTimeoutMs: 20_000 }).setSyncStatus(dir, 'synced');
    expect(written.sync_status).toBe('synced');
    expect((await readCreationJson(dir)).sync_status).toBe('synced');
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['creation.json']);
  }, 60_000);
});
