import { request } from 'node:http';
import { access, readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DETACHED_RUNS } from '@exlab/core/constants';
import { isProcessAlive } from '@exlab/core/process';
import { CreationJsonSchema, RunStatusSchema } from '@exlab/core/schemas';
import { starterTemplatesDir } from '@exlab/core/starter';
import {
  killAndWait,
  runExlab,
  sandbox,
  serverInfoOf,
  startForeground,
  waitFor,
  type ForegroundTray,
  type Sandbox,
} from './exlab-process.js';

let sb: Sandbox;
const trays: ForegroundTray[] = [];

beforeEach(async () => {
  sb = await sandbox();
});

afterEach(async () => {
  for (const tray of trays.splice(0)) await killAndWait(tray);
  await sb.cleanup();
});

async function foreground(args: readonly string[] = []): Promise<ForegroundTray> {
  const tray = await startForeground(sb, args);
  trays.push(tray);
  return tray;
}

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe('exlab start --foreground --headless', () => {
  it('writes server.json and answers /health with the token (200), without it (401), and refuses a foreign Host (403)', async () => {
    const tray = await foreground();
    const { port, token } = tray.info;
    expect(tray.info.pid).toBe(tray.child.pid);
    expect(tray.info.started_at).toMatch(/Z$/);
    expect((await get(port, '/api/v1/health', { authorization: `Bearer ${token}` })).status).toBe(200);
    const noToken = await get(port, '/api/v1/health', {});
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toMatchObject({ error: { code: 'unauthorized' } });
    const evil = await get(port, '/api/v1/health', { host: 'evil.example', authorization: `Bearer ${token}` });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'forbidden_host' } });
  });

  it('serves the API docs and refuses a bad request body with the 422 naming the field, as built (zod compilers, English messages)', async () => {
    const tray = await foreground();
    const auth = { authorization: `Bearer ${tray.info.token}` };
    // The docs are a Fastify app of their own, built on the first request: it must not need ajv.
    const docs = await fetch(`http://127.0.0.1:${tray.info.port}/api/v1/docs`, { headers: auth });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    const response = await fetch(`http://127.0.0.1:${tray.info.port}/api/v1/sessions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'run', equipment_id: 42 }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; field?: string; message: string } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/expected|required|invalid/i);
  });

  it('writes nothing outside HOME and the state dir', async () => {
    const tray = await foreground();
    await get(tray.info.port, '/api/v1/health', { authorization: `Bearer ${tray.info.token}` });
    tray.child.kill('SIGTERM');
    await tray.exited;
    const top = (await readdir(sb.root)).sort();
    expect(top).toEqual(['home', 'state', 'tmp']);
    expect(await readdir(join(sb.root, 'tmp'))).toEqual([]);
    // XDG data/state under .local, and Node's compile cache in the product's cache dir.
    expect(
      (await listTree(sb.home)).every((p) => p.startsWith('.local') || p === '.cache' || p.startsWith(join('.cache', 'exlab-wizard'))),
    ).toBe(true);
  });

  it('creates a real run from the demo lab through POST /api/v1/sessions', async () => {
    const tray = await foreground();
    const response = await fetch(`http://127.0.0.1:${tray.info.port}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tray.info.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'run',
        equipment_id: 'DEMO_SCOPE_01',
        project_name: 'Cortex Q3 Pilot',
        template_path: 'imaging_run',
        label: 'Calibration sweep',
        operator: 'asmith',
        objective: 'Check laser power settings.',
        run_date: '2026-04-17T14:32:59Z',
      }),
    });
    expect(response.status).toBe(201);
    // 201 answers once the gate passed; the session then runs on: poll its snapshot until it ends.
    const { session_id } = (await response.json()) as { session_id: string };
    const handle = await waitFor('the session to end', async () => {
      const snapshot = (await (
        await fetch(`http://127.0.0.1:${tray.info.port}/api/v1/sessions/${session_id}`, {
          headers: { authorization: `Bearer ${tray.info.token}` },
        })
      ).json()) as { state: string; result: { path: string } };
      return ['done', 'failed', 'aborted'].includes(snapshot.state) ? snapshot : undefined;
    });
    expect(handle.state).toBe('done');
    const runPath = join(sb.home, '.local/share/exlab-wizard/demo-lab/lab/DEMO_SCOPE_01/Cortex Q3 Pilot/Runs/Run_2026-04-17T14-32');
    expect(handle.result.path).toBe(runPath);
    const creation = CreationJsonSchema.parse(JSON.parse(await readFile(join(runPath, '.exlab-wizard/creation.json'), 'utf8')));
    expect(creation).toMatchObject({ schema_version: '1.9', level: 'run', run_kind: 'experimental', sync_status: 'pending' });
    expect(await readFile(join(runPath, 'acquisition_notes.md'), 'utf8')).toContain('# Acquisition notes: Calibration sweep');
  });

  it('refuses a second start on the same state dir with exit 3 naming the running instance, leaving server.json unchanged', async () => {
    const first = await foreground();
    const before = await readFile(join(sb.stateDir, 'server.json'));
    const second = await runExlab(['start', '--foreground', '--headless', '--state-dir', sb.stateDir], sb.env);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`ExLab-Wizard already running (pid ${first.info.pid}, port ${first.info.port})`);
    expect(await readFile(join(sb.stateDir, 'server.json'))).toEqual(before);
  });

  it('takes over the stale lock of a tray killed with SIGKILL', async () => {
    const first = await foreground();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await exists(join(sb.stateDir, 'tray.lock'))).toBe(true);
    const second = await foreground();
    expect(second.info.pid).not.toBe(first.info.pid);
    expect((await get(second.info.port, '/api/v1/health', { authorization: `Bearer ${second.info.token}` })).status).toBe(200);
  });

  it('removes server.json and the lock within 6 s of SIGTERM and exits 0', async () => {
    const tray = await foreground();
    const termAt = Date.now();
    tray.child.kill('SIGTERM');
    expect(await tray.exited).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(6_000);
    expect(await exists(join(sb.stateDir, 'server.json'))).toBe(false);
    expect(await exists(join(sb.stateDir, 'tray.lock'))).toBe(false);
  });

  it('exits 4 when the fixed port is held by another tray, without walking ports', async () => {
    const first = await foreground();
    const other = await sandbox();
    try {
      const result = await runExlab(
        ['start', '--foreground', '--headless', '--state-dir', other.stateDir, '--port', String(first.info.port)],
        other.env,
      );
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(`port ${first.info.port} already in use`);
      expect(await exists(join(other.stateDir, 'server.json'))).toBe(false);
    } finally {
      await other.cleanup();
    }
  });
});

describe('exlab status and stop', () => {
  it('reports not running with exit 3 when nothing was started', async () => {
    const result = await runExlab(['status', '--state-dir', sb.stateDir], sb.env);
    expect(result.code).toBe(3);
    expect(result.stdout.trim()).toBe('not running');
  });

  it('reports a healthy tray with exit 0 and a JSON report', async () => {
    const tray = await foreground();
    const result = await runExlab(['status', '--json', '--state-dir', sb.stateDir], sb.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      state: 'healthy',
      pid: tray.info.pid,
      port: tray.info.port,
      health: 'ok',
      setup_state: 'ready',
    });
  });

  it('reports stale files of a killed tray with exit 1, and stop removes them without signalling anyone', async () => {
    const tray = await foreground();
    tray.child.kill('SIGKILL');
    await tray.exited;
    const status = await runExlab(['status', '--state-dir', sb.stateDir], sb.env);
    expect(status.code).toBe(1);
    const stop = await runExlab(['stop', '--state-dir', sb.stateDir], sb.env);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('removed stale files');
    expect(await exists(join(sb.stateDir, 'server.json'))).toBe(false);
    expect(await exists(join(sb.stateDir, 'tray.lock'))).toBe(false);
  });

  it('stops a running tray and exits 0', async () => {
    const tray = await foreground();
    const stop = await runExlab(['stop', '--state-dir', sb.stateDir], sb.env);
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`stopped (pid ${tray.info.pid})`);
    expect(await tray.exited).toBe(0);
    expect(await isProcessAlive(tray.info.pid, tray.info.pid_start ?? null)).toBe(false);
  });

  it('starts a detached tray that outlives the command, then stops it', async () => {
    const started = await runExlab(['start', '--headless', '--state-dir', sb.stateDir], sb.env);
    expect(started.code).toBe(0);
    const match = /^started \(pid (\d+), port (\d+), run (tray-[\w-]+)\)$/m.exec(started.stdout);
    expect(match, started.stdout + started.stderr).not.toBeNull();
    const pid = Number(match?.[1]);
    try {
      const info = await waitFor('server.json', () => serverInfoOf(sb.stateDir, pid));
      expect(info.port).toBe(Number(match?.[2]));
      expect(await exists(join(sb.stateDir, 'runs', 'tray', match?.[3] ?? '', 'stdout.log'))).toBe(true);
      // The tray program runs with the Node flags of DETACHED_RUNS.trayNodeFlags, recorded in status.json.
      const status = RunStatusSchema.parse(
        JSON.parse(await readFile(join(sb.stateDir, 'runs', 'tray', match?.[3] ?? '', 'status.json'), 'utf8')),
      );
      expect(status.cmd.slice(0, 1 + DETACHED_RUNS.trayNodeFlags.length)).toEqual([process.execPath, ...DETACHED_RUNS.trayNodeFlags]);
      expect(status.cmd[1 + DETACHED_RUNS.trayNodeFlags.length]).toMatch(/packages\/tray\/dist\/main\.js$/);
      const again = await runExlab(['start', '--headless', '--state-dir', sb.stateDir], sb.env);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe(`already running (pid ${pid}, port ${info.port})`);
    } finally {
      const stop = await runExlab(['stop', '--state-dir', sb.stateDir], sb.env);
      expect(stop.code).toBe(0);
    }
    expect(await isProcessAlive(pid)).toBe(false);
  });

  it('runs the bundled tray program, which builds the demo lab from the starter templates shipped with @exlab/core', async () => {
    const started = await runExlab(['start', '--headless', '--state-dir', sb.stateDir], sb.env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const demoTemplates = join(sb.home, '.local', 'share', 'exlab-wizard', 'demo-lab', 'templates');
      expect((await readdir(demoTemplates)).sort()).toEqual((await readdir(starterTemplatesDir())).sort());
      const info = await waitFor('server.json', () => serverInfoOf(sb.stateDir));
      const health = await get(info.port, '/api/v1/health', { authorization: `Bearer ${info.token}` });
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', components: { plugin_host: { status: 'ok' } } });
    } finally {
      expect((await runExlab(['stop', '--state-dir', sb.stateDir], sb.env)).code).toBe(0);
    }
  });
});
