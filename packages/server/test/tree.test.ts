import { lstat, mkdir, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { RUN_KIND_FOLDER, TIMINGS } from '@exlab/core/constants';
import { equipmentDir } from '@exlab/core/paths';
import { SessionHandleSchema, TreeResponseSchema, type Config, type SessionHandle, type TreeResponse } from '@exlab/core/schemas';
import { EQUIPMENT_ID, runRequest, type TestLab } from './support/lab.js';
import { authorized, contextFor, startServer, useTestLab, type RunningServer } from './support/server.js';
import { FolderStats, statInProcess } from '../src/folder-stats.js';
import { signatureOf, TreeSnapshot } from '../src/tree-snapshot.js';

// GET /tree keeps its answer between requests and checks the listed folders on each one: these
// tests pin that an answer always shows every change made before the request, whoever made it,
// and that the ETag moves exactly when the answer does.

let lab: TestLab;

useTestLab((created) => (lab = created));

/** The tree as a plain walk of the disk gives it (what every answer must equal). */
async function walk(config: Config): Promise<TreeResponse> {
  const visible = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  const equipment = [];
  for (const entry of config.equipment) {
    const path = equipmentDir(config, entry.id) ?? '';
    const exists = await lstat(path).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    const projects = [];
    for (const name of exists ? await visible(path) : []) {
      const runs = [];
      for (const kind of ['experimental', 'test'] as const) {
        const folder = join(path, name, RUN_KIND_FOLDER[kind]);
        for (const run of await visible(folder)) runs.push({ name: run, path: join(folder, run), run_kind: kind });
      }
      projects.push({ name, path: join(path, name), runs });
    }
    equipment.push({ id: entry.id, label: entry.label, path, exists, projects });
  }
  return { equipment };
}

async function tree(
  s: RunningServer,
  headers: Record<string, string> = {},
): Promise<{ status: number; etag: string | null; body: string }> {
  const response = await fetch(`${s.base}/api/v1/tree`, { headers: authorized(headers) });
  return { status: response.status, etag: response.headers.get('etag'), body: await response.text() };
}

const runsOf = (answer: string): string[] =>
  TreeResponseSchema.parse(JSON.parse(answer)).equipment.flatMap((e) => e.projects.flatMap((p) => p.runs.map((r) => r.name)));

/** Sets a folder's timestamps an hour back, as for a lab that has been sitting on disk. */
async function age(...dirs: string[]): Promise<void> {
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const dir of dirs) await utimes(dir, hourAgo, hourAgo);
}

describe('GET /api/v1/tree freshness', () => {
  it('shows a run made on disk right after the previous answer, and drops one removed, without waiting', async () => {
    const runs = join(lab.localRoot, EQUIPMENT_ID, 'Retina', 'Runs');
    await mkdir(join(runs, 'Run_A'), { recursive: true });
    const s = await startServer(contextFor(lab.config));
    expect(runsOf((await tree(s)).body)).toEqual(['Run_A']);
    // Two changes in the same folder within one timestamp tick still both show.
    await mkdir(join(runs, 'Run_B'));
    expect(runsOf((await tree(s)).body)).toEqual(['Run_A', 'Run_B']);
    await mkdir(join(runs, 'Run_C'));
    expect(runsOf((await tree(s)).body)).toEqual(['Run_A', 'Run_B', 'Run_C']);
    await rm(join(runs, 'Run_A'), { recursive: true });
    expect(runsOf((await tree(s)).body)).toEqual(['Run_B', 'Run_C']);
  });

  it('sees changes under folders whose timestamps are old: new runs, a new run folder, renamed and removed projects', async () => {
    const equipment = join(lab.localRoot, EQUIPMENT_ID);
    const retina = join(equipment, 'Retina');
    const cortex = join(equipment, 'Cortex');
    await mkdir(join(retina, 'Runs', 'Run_1'), { recursive: true });
    await mkdir(join(cortex, 'Runs', 'Run_2'), { recursive: true });
    await age(join(retina, 'Runs'), join(cortex, 'Runs'), retina, cortex, equipment);
    const s = await startServer(contextFor(lab.config));
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));

    await mkdir(join(retina, 'Runs', 'Run_3'));
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
    await age(join(retina, 'Runs'));

    await mkdir(join(cortex, RUN_KIND_FOLDER.test, 'TestRun_1'), { recursive: true });
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
    await age(join(cortex, RUN_KIND_FOLDER.test), cortex);

    await rename(cortex, join(equipment, 'Cortex renamed'));
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
    await age(equipment);

    await rm(retina, { recursive: true });
    const last = JSON.parse((await tree(s)).body) as TreeResponse;
    expect(last).toEqual(await walk(lab.config));
    expect(last.equipment[0]?.projects.map((p) => p.name)).toEqual(['Cortex renamed']);
  });

  it('shows a run created through the controller in the very next answer', async () => {
    const s = await startServer(contextFor(lab.config));
    expect(runsOf((await tree(s)).body)).toEqual([]);
    const created = await fetch(`${s.base}/api/v1/sessions`, {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: JSON.stringify(runRequest()),
    });
    const handle = SessionHandleSchema.parse(await created.json());
    const done: SessionHandle = await s.context.controller.settled(handle.session_id);
    expect(done.state).toBe('done');
    const answer = TreeResponseSchema.parse(JSON.parse((await tree(s)).body));
    expect(answer.equipment[0]?.projects.flatMap((p) => p.runs.map((r) => r.path))).toEqual([done.result?.path]);
  });

  it('follows an equipment folder that appears, is replaced by a file, and comes back', async () => {
    const equipment = join(lab.localRoot, EQUIPMENT_ID);
    await rm(equipment, { recursive: true, force: true });
    const s = await startServer(contextFor(lab.config));
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
    await mkdir(join(equipment, 'Retina', 'Runs', 'Run_1'), { recursive: true });
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
    await rm(equipment, { recursive: true });
    await writeFile(equipment, 'not a folder');
    const asFile = JSON.parse((await tree(s)).body) as TreeResponse;
    expect(asFile.equipment[0]).toMatchObject({ exists: false, projects: [] });
    await rm(equipment);
    await mkdir(join(equipment, 'Cortex', 'Runs', 'Run_9'), { recursive: true });
    expect(JSON.parse((await tree(s)).body)).toEqual(await walk(lab.config));
  });
});

describe('GET /api/v1/tree ETag', () => {
  it('keeps its ETag while nothing changes, answers 304 to a matching If-None-Match, and moves it on a change', async () => {
    const runs = join(lab.localRoot, EQUIPMENT_ID, 'Retina', 'Runs');
    await mkdir(join(runs, 'Run_A'), { recursive: true });
    const s = await startServer(contextFor(lab.config));
    const first = await tree(s);
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await tree(s);
    expect(again.etag).toBe(first.etag);
    expect(again.body).toBe(first.body);

    const etag = first.etag ?? '';
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await tree(s, { 'if-none-match': header });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.etag).toBe(etag);
    }
    expect((await tree(s, { 'if-none-match': '"other"' })).status).toBe(200);

    await mkdir(join(runs, 'Run_B'));
    const changed = await tree(s, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(etag);
    expect(runsOf(changed.body)).toEqual(['Run_A', 'Run_B']);
  });

  it('asks clients to revalidate every time', async () => {
    const s = await startServer(contextFor(lab.config));
    const response = await fetch(`${s.base}/api/v1/tree`, { headers: authorized() });
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });
});

describe('TreeSnapshot', () => {
  it('matches a plain walk after every step of a long mixed sequence of changes, settled or not', async () => {
    const equipment = join(lab.localRoot, EQUIPMENT_ID);
    const snapshot = new TreeSnapshot();
    // A deterministic sequence touching every level: projects, run folders, runs, hidden entries, files and links.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const projects = ['Alpha', 'Beta', 'Gamma'];
    const kinds = [RUN_KIND_FOLDER.experimental, RUN_KIND_FOLDER.test];
    for (let step = 0; step < 120; step += 1) {
      const project = join(equipment, projects[next(projects.length)] ?? 'Alpha');
      const folder = join(project, kinds[next(2)] ?? 'Runs');
      const run = join(folder, `Run_${next(6)}`);
      switch (next(8)) {
        case 0:
        case 1:
          await mkdir(run, { recursive: true });
          break;
        case 2:
          await rm(run, { recursive: true, force: true });
          break;
        case 3:
          await rm(project, { recursive: true, force: true });
          break;
        case 4:
          await mkdir(join(folder, `.hidden_${next(3)}`), { recursive: true });
          break;
        case 5:
          await mkdir(folder, { recursive: true });
          await writeFile(join(folder, `file_${next(3)}.txt`), 'x');
          break;
        case 6:
          await mkdir(folder, { recursive: true });
          await symlink(lab.root, join(folder, `link_${step}`)).catch(() => undefined);
          break;
        default: {
          // Every folder of the lab an hour old: the next check trusts unchanged timestamps.
          const dirs = [equipment];
          for (const name of await readdir(equipment).catch(() => [])) {
            dirs.push(join(equipment, name));
            for (const kind of kinds) dirs.push(join(equipment, name, kind));
          }
          for (const dir of dirs) await age(dir).catch(() => undefined);
        }
      }
      const answer = JSON.parse((await snapshot.refresh(lab.config)).body.toString('utf8')) as TreeResponse;
      expect(answer, `after step ${step}`).toEqual(await walk(lab.config));
    }
  });

  it('follows a config change: a new label and a new equipment show at once', async () => {
    const snapshot = new TreeSnapshot();
    const before = JSON.parse((await snapshot.refresh(lab.config)).body.toString('utf8')) as TreeResponse;
    expect(before.equipment.map((e) => e.label)).toEqual(lab.config.equipment.map((e) => e.label));
    const first = lab.config.equipment[0];
    if (first === undefined) throw new Error('the test lab has no equipment');
    const changed: Config = {
      ...lab.config,
      equipment: [
        { ...first, label: 'Renamed microscope' },
        { ...first, id: 'SEM_02', label: 'SEM' },
      ],
    };
    await mkdir(join(lab.localRoot, 'SEM_02', 'Bone', 'Runs', 'Run_1'), { recursive: true });
    const after = JSON.parse((await snapshot.refresh(changed)).body.toString('utf8')) as TreeResponse;
    expect(after).toEqual(await walk(changed));
    expect(after.equipment.map((e) => e.label)).toEqual(['Renamed microscope', 'SEM']);
  });
});

describe('the timestamp rule of a /tree check', () => {
  it('trusts a folder only once its last change is older than the coarsest timestamp tick', async () => {
    const dir = join(lab.root, 'stamped');
    await mkdir(dir);
    const changedAt = Date.now() - 60_000;
    await utimes(dir, new Date(changedAt), new Date(changedAt));
    const stats = await stat(dir);
    // ctime is the real time of the utimes call: judge from a clock far enough past both.
    const settledFrom = Math.max(stats.mtimeMs, stats.ctimeMs) + TIMINGS.treeRecentChangeMs + 1;
    expect(signatureOf(stats, settledFrom).settled).toBe(true);
    // A second change within the same tick would leave every timestamp equal: such a folder is re-read.
    expect(signatureOf(stats, settledFrom - 2).settled).toBe(false);
    expect(signatureOf(stats, stats.ctimeMs).settled).toBe(false);
    expect(signatureOf(stats, settledFrom).signature).toEqual(signatureOf(await stat(dir), settledFrom).signature);
    expect(signatureOf({ code: 'ENOENT' }, settledFrom)).toEqual({ signature: 'ENOENT', settled: true });
  });
});

describe('FolderStats', () => {
  it('answers the same stats from its worker as an in-process stat, for a list sent once and repeated', async () => {
    const dirs = [join(lab.root, 'a'), join(lab.root, 'b'), join(lab.root, 'missing'), join(lab.root, 'file', 'below')];
    await mkdir(dirs[0] ?? '');
    await mkdir(dirs[1] ?? '');
    await writeFile(join(lab.root, 'file'), 'x');
    const stats = new FolderStats();
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      const expected = await statInProcess(dirs);
      expect(expected[2]).toEqual({ code: 'ENOENT' });
      expect(expected[3]).toEqual({ code: 'ENOENT' });
      expect(await stats.stat(dirs)).toEqual(expected);
      expect(await stats.stat(dirs)).toEqual(expected);
      // Answered by the worker, which got the list once and then only "the same list again".
      expect(posted.mock.calls.map(([message]) => (message as { paths: unknown }).paths)).toEqual([dirs, null]);
      await rm(dirs[0] ?? '', { recursive: true });
      expect((await stats.stat(dirs))[0]).toEqual({ code: 'ENOENT' });
      expect(await stats.stat([dirs[1] ?? ''])).toEqual([expected[1]]);
    } finally {
      posted.mockRestore();
      await stats.close();
    }
    // Closed: it still answers, in-process.
    expect(await stats.stat([dirs[1] ?? ''])).toHaveLength(1);
  });
});
