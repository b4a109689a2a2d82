import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CreationController } from '@exlab/controller';
import { evaluateSetupState } from '@exlab/core/config';
import {
  ConfigSchema,
  ErrorEnvelopeSchema,
  FolderResponseSchema,
  OperationsResponseSchema,
  ProbeResultSchema,
  ProblemsFrameSchema,
  ProblemsRefreshResponseSchema,
  ProblemsReportSchema,
  RunDetailResponseSchema,
  SessionHandleSchema,
  SetupStatusSchema,
  TreeResponseSchema,
  type Config,
  type SessionHandle,
} from '@exlab/core/schemas';
import type { z } from 'zod';
import { EQUIPMENT_ID, runRequest, type TestLab } from './support/lab.js';
import { authorized, contextFor, startServer, useTestLab, type RunningServer } from './support/server.js';
import { openSocket } from './support/ws.js';

let lab: TestLab;
let server: RunningServer | undefined;
let live: { config: Config | null };

useTestLab((created) => (lab = created));

/** A server over a config that `PUT /config` replaces live (as the tray does). */
async function start(config: Config | null, configPath = lab.configPath): Promise<RunningServer> {
  live = { config };
  server = await startServer(
    contextFor(null, {
      configPath,
      controller: new CreationController({ getConfig: () => live.config, osUser: 'ada-os', hostname: 'bench-host' }),
      getConfig: () => live.config,
      getSetupStatus: () => evaluateSetupState({ config: live.config, limsPasswordPresent: false, limsReachable: null }),
      applyConfig: (next) => {
        live.config = next;
      },
      testLims: async ({ endpoint }) => (endpoint === '' ? { ok: false, reason: 'no endpoint' } : { ok: true, latency_ms: 1 }),
      audit: { intervalMs: 0 },
    }),
  );
  return server;
}

/** Calls the API with the token and parses the answer with `schema` (an envelope for 4xx/5xx). */
async function call<S extends z.ZodType>(
  s: RunningServer,
  method: string,
  path: string,
  schema: S,
  body?: unknown,
): Promise<{ status: number; body: z.output<S>; trace: string | null }> {
  const response = await fetch(`${s.base}${path}`, {
    method,
    headers: authorized(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = await response.json();
  const parsed = response.status >= 400 ? ErrorEnvelopeSchema.parse(json) : schema.parse(json);
  return { status: response.status, body: parsed as z.output<S>, trace: response.headers.get('x-trace-id') };
}

async function finished(s: RunningServer, id: string): Promise<SessionHandle> {
  for (;;) {
    const { body } = await call(s, 'GET', `/api/v1/sessions/${id}`, SessionHandleSchema);
    if (body.state === 'done' || body.state === 'failed' || body.state === 'aborted') return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function createdRun(s: RunningServer): Promise<string> {
  const created = await call(s, 'POST', '/api/v1/sessions', SessionHandleSchema, runRequest());
  expect(created.status).toBe(201);
  const done = await finished(s, created.body.session_id);
  expect(done.state).toBe('done');
  return done.result?.path ?? '';
}

const envelope = (body: unknown): { code: string; field?: string; [k: string]: unknown } =>
  (body as { error: { code: string; field?: string } }).error;

describe('sessions, resume, cancel, operations', () => {
  it('answers each documented error of resume and cancel, and lists operations', async () => {
    const s = await start(lab.config);
    expect(envelope((await call(s, 'POST', '/api/v1/sessions/nope/resume', SessionHandleSchema, {})).body).code).toBe('session_not_found');
    expect((await call(s, 'POST', '/api/v1/sessions/nope/cancel', SessionHandleSchema, {})).status).toBe(404);
    const failed = await call(s, 'POST', '/api/v1/sessions', SessionHandleSchema, { kind: 'run' });
    expect(failed.status).toBe(422);
    const path = await createdRun(s);
    expect(path).toContain(lab.localRoot);
    const ops = await call(s, 'GET', '/api/v1/operations', OperationsResponseSchema);
    expect(ops.status).toBe(200);
    expect(ops.body.operations).toEqual([]);
    const extra = await call(s, 'POST', '/api/v1/sessions/nope/resume', SessionHandleSchema, { extra_inputs: {}, bogus: 1 });
    expect(extra.status).toBe(422);
    expect(envelope(extra.body).field).toBe('bogus');
  });
});

describe('problems', () => {
  it('serves the audit, refreshes, overrides and revokes through the CacheWriter, and streams snapshot then delta', async () => {
    const s = await start(lab.config);
    const run = await createdRun(s);
    const refreshed = await call(s, 'POST', '/api/v1/problems/refresh', ProblemsRefreshResponseSchema);
    expect(refreshed.status).toBe(200);
    const report = await call(s, 'GET', '/api/v1/problems?scope=all&severity=hard', ProblemsReportSchema);
    expect(report.status).toBe(200);
    expect((await call(s, 'GET', '/api/v1/problems?scope=bogus', ProblemsReportSchema)).status).toBe(422);
    expect((await call(s, 'GET', '/api/v1/problems?scope=equipment_id', ProblemsReportSchema)).status).toBe(422);
    expect((await call(s, 'GET', `/api/v1/problems?scope=equipment_id&scope_value=${EQUIPMENT_ID}`, ProblemsReportSchema)).status).toBe(
      200,
    );

    const socket = openSocket(s.port, '/api/v1/problems/events');
    await socket.until((frames) => frames.length >= 1);
    expect(ProblemsFrameSchema.parse(socket.frames[0]).kind).toBe('snapshot');

    const override = await fetch(`${s.base}/api/v1/problems/${run}/override`, {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: JSON.stringify({ problem_class: 'illegal_filesystem_character', reason: 'Reviewed by the lab lead.', operator: 'ada' }),
    });
    expect(override.status).toBe(201);
    const entry = (await override.json()) as { id: string };
    const revoke = await fetch(`${s.base}/api/v1/problems/${run}/override/revoke`, {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: JSON.stringify({ revokes: entry.id, reason: 'No longer applies here.', operator: 'ada' }),
    });
    expect(revoke.status).toBe(201);
    const creation = JSON.parse(await readFile(join(run, '.exlab-wizard', 'creation.json'), 'utf8')) as { validation_overrides: unknown[] };
    expect(creation.validation_overrides).toHaveLength(2);
    await socket.until((frames) => frames.length >= 2);
    expect(ProblemsFrameSchema.parse(socket.frames[1]).kind).toBe('delta');
    socket.socket.close();

    const short = await call(s, 'POST', `/api/v1/problems/${run}/override`, ErrorEnvelopeSchema, {
      problem_class: 'illegal_filesystem_character',
      reason: 'x',
      operator: 'a',
    });
    expect(short.status).toBe(422);
    const outside = await call(s, 'POST', `/api/v1/problems//etc/override`, ErrorEnvelopeSchema, {
      problem_class: 'illegal_filesystem_character',
      reason: 'Reviewed by the lab lead.',
      operator: 'ada',
    });
    expect(envelope(outside.body).code).toBe('permission_denied');
  });
});

describe('browse', () => {
  it('serves the tree, a folder and a run, sandboxed to the roots', async () => {
    const s = await start(lab.config);
    const run = await createdRun(s);
    const tree = await call(s, 'GET', '/api/v1/tree', TreeResponseSchema);
    expect(tree.body.equipment[0]?.projects[0]?.runs[0]?.path).toBe(run);
    const folder = await call(s, 'GET', `/api/v1/folder/${run}`, FolderResponseSchema);
    expect(folder.status).toBe(200);
    expect(folder.body.entries.map((entry) => entry.name)).toContain('README.md');
    const detail = await call(s, 'GET', `/api/v1/run/${run}`, RunDetailResponseSchema);
    expect(detail.status).toBe(200);
    expect(detail.body.readme).not.toBeNull();

    expect(envelope((await call(s, 'GET', '/api/v1/folder//etc', FolderResponseSchema)).body).code).toBe('permission_denied');
    expect(envelope((await call(s, 'GET', `/api/v1/folder/${lab.localRoot}/missing`, FolderResponseSchema)).body).code).toBe(
      'folder_not_found',
    );
    expect(envelope((await call(s, 'GET', `/api/v1/folder/${lab.localRoot}/../..`, FolderResponseSchema)).body).code).toBe(
      'permission_denied',
    );
    await mkdir(join(lab.localRoot, 'inner'), { recursive: true });
    await symlink(lab.root, join(lab.localRoot, 'inner', 'escape'));
    expect(envelope((await call(s, 'GET', `/api/v1/folder/${lab.localRoot}/inner/escape`, FolderResponseSchema)).body).code).toBe(
      'permission_denied',
    );
    expect(envelope((await call(s, 'GET', `/api/v1/run/${lab.localRoot}`, RunDetailResponseSchema)).body).code).toBe('folder_not_found');
  });

  it('lists projects and runs in name order, experimental before test, skipping hidden folders and files', async () => {
    const equipment = join(lab.localRoot, EQUIPMENT_ID);
    for (const dir of [
      'Retina/Runs/Run_2026-03-02_0915',
      'Retina/Runs/Run_2026-03-01_0800',
      'Retina/Runs/.hidden',
      'Retina/TestRuns/TestRun_2026-03-03_1000',
      'Cortex/Runs/Run_2026-01-05_1200',
      '.exlab-wizard',
    ])
      await mkdir(join(equipment, dir), { recursive: true });
    await writeFile(join(equipment, 'Retina', 'Runs', 'notes.txt'), 'not a run');
    await writeFile(join(equipment, 'loose-file.txt'), 'not a project');
    const s = await start(lab.config);
    const tree = await call(s, 'GET', '/api/v1/tree', TreeResponseSchema);
    expect(tree.status).toBe(200);
    const run = (project: string, folder: string, name: string, run_kind: 'experimental' | 'test') => ({
      name,
      path: join(equipment, project, folder, name),
      run_kind,
    });
    expect(tree.body).toEqual({
      equipment: [
        {
          id: EQUIPMENT_ID,
          label: lab.config.equipment[0]?.label,
          path: equipment,
          exists: true,
          projects: [
            { name: 'Cortex', path: join(equipment, 'Cortex'), runs: [run('Cortex', 'Runs', 'Run_2026-01-05_1200', 'experimental')] },
            {
              name: 'Retina',
              path: join(equipment, 'Retina'),
              runs: [
                run('Retina', 'Runs', 'Run_2026-03-01_0800', 'experimental'),
                run('Retina', 'Runs', 'Run_2026-03-02_0915', 'experimental'),
                run('Retina', 'TestRuns', 'TestRun_2026-03-03_1000', 'test'),
              ],
            },
          ],
        },
      ],
    });
  });
});

describe('config and setup', () => {
  it('gates with 503 setup_incomplete until PUT /config completes the setup, then works without a restart', async () => {
    const empty = join(lab.root, 'fresh-config.yaml');
    await writeFile(empty, '# my lab config\n');
    const s = await start(null, empty);
    for (const path of ['/api/v1/tree', '/api/v1/operations', '/api/v1/problems']) {
      const gated = await call(s, 'GET', path, ErrorEnvelopeSchema);
      expect(gated.status).toBe(503);
      expect(envelope(gated.body)).toMatchObject({ code: 'setup_incomplete', state: 'incomplete_no_config' });
      expect(envelope(gated.body).missing).toBeInstanceOf(Array);
    }
    // The gate runs before body validation.
    expect(envelope((await call(s, 'POST', '/api/v1/sessions', ErrorEnvelopeSchema, { nonsense: true })).body).code).toBe(
      'setup_incomplete',
    );
    const got = await call(s, 'GET', '/api/v1/config', ConfigSchema);
    expect(got.status).toBe(200);

    const bad = await call(s, 'PUT', '/api/v1/config', SetupStatusSchema, { paths: { local_root: 5 } });
    expect(bad.status).toBe(422);
    expect(envelope(bad.body).field).toBe('paths.local_root');

    const { equipment, ...withoutEquipment } = lab.config;
    const partial = await call(s, 'PUT', '/api/v1/config', SetupStatusSchema, withoutEquipment);
    expect(partial.status).toBe(200);
    expect(partial.body.state).toBe('incomplete_no_equipment');
    expect(await readFile(empty, 'utf8')).toContain('# my lab config');

    const added = await call(s, 'POST', '/api/v1/config/equipment', SetupStatusSchema, equipment[0]);
    expect(added.status).toBe(201);
    expect(added.body.ready || added.body.state === 'incomplete_lims_unreachable' || added.body.state === 'ready').toBe(true);
    const conflict = await call(s, 'POST', '/api/v1/config/equipment', SetupStatusSchema, equipment[0]);
    expect(envelope(conflict.body).code).toBe('equipment_id_conflict');
    expect(conflict.status).toBe(409);

    expect((await call(s, 'GET', '/api/v1/tree', TreeResponseSchema)).status).toBe(200);
    expect((await call(s, 'GET', '/api/v1/setup/status', SetupStatusSchema)).body.state).toBe(added.body.state);
  });

  it('probes LIMS and equipment with 200 answers', async () => {
    const s = await start(lab.config);
    expect(
      (await call(s, 'POST', '/api/v1/setup/test-lims', ProbeResultSchema, { lims: { endpoint: 'https://lims.example' } })).body.ok,
    ).toBe(true);
    expect((await call(s, 'POST', '/api/v1/setup/test-equipment', ProbeResultSchema, { equipment_id: EQUIPMENT_ID })).body.ok).toBe(true);
    expect((await call(s, 'POST', '/api/v1/setup/test-equipment', ProbeResultSchema, { equipment_id: 'NOPE_1' })).body.ok).toBe(false);
    expect((await call(s, 'POST', '/api/v1/setup/test-equipment', ProbeResultSchema, { extra: 1 })).status).toBe(422);
  });
});

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document listing every route, and the docs page', async () => {
    const s = await start(lab.config);
    const document = (await (await fetch(`${s.base}/api/v1/openapi.json`, { headers: authorized() })).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    for (const route of [
      '/api/v1/sessions',
      '/api/v1/sessions/{id}',
      '/api/v1/sessions/{id}/resume',
      '/api/v1/sessions/{id}/cancel',
      '/api/v1/operations',
      '/api/v1/problems',
      '/api/v1/problems/refresh',
      '/api/v1/tree',
      '/api/v1/config',
      '/api/v1/config/equipment',
      '/api/v1/setup/status',
      '/api/v1/setup/test-lims',
      '/api/v1/setup/test-equipment',
      '/api/v1/health',
    ])
      expect(Object.keys(document.paths)).toContain(route);
    // Every JSON operation documents the body of its success answer (the window entry `/` only redirects).
    const undocumented = Object.entries(
      document.paths as Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>,
    )
      .filter(([path]) => path !== '/')
      .flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(
            ([, operation]) => !Object.entries(operation.responses ?? {}).some(([code, answer]) => code.startsWith('2') && answer.content),
          )
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
    expect(undocumented).toEqual([]);
    const healthAnswer = (
      document.paths['/api/v1/health'] as {
        get: { responses: Record<string, { content: Record<string, { schema: { properties: object } }> }> };
      }
    ).get.responses['200'];
    expect(Object.keys(healthAnswer?.content['application/json']?.schema.properties ?? {})).toEqual(
      expect.arrayContaining(['status', 'components', 'setup_state']),
    );
    const docs = await fetch(`${s.base}/api/v1/docs/`, { headers: authorized() });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('swagger-ui');
    const css = await fetch(`${s.base}/api/v1/docs/static/swagger-ui.css`, { headers: authorized() });
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await css.text()).length).toBeGreaterThan(1000);
    const served = (await (await fetch(`${s.base}/api/v1/docs/json`, { headers: authorized() })).json()) as { openapi: string };
    expect(served.openapi).toBe('3.1.0');
    const missing = await fetch(`${s.base}/api/v1/docs/static/no-such-file.js`, { headers: authorized() });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'route_not_found' } });
    expect((await fetch(`${s.base}/api/v1/docs/`)).status).toBe(401);
  });
});
