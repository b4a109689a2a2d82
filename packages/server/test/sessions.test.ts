import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreationController } from '@exlab/controller';
import { evaluateSetupState } from '@exlab/core/config';
import { CreationJsonSchema, SessionHandleSchema, type Config, type SessionHandle, type SetupStatus } from '@exlab/core/schemas';
import { EQUIPMENT_ID, listTree, projectRequest, runRequest, type TestLab } from './support/lab.js';
import { authorized, contextFor, envelopeOf, rawRequest, startServer, useTestLab, type RunningServer } from './support/server.js';

const SESSIONS = '/api/v1/sessions';

let lab: TestLab;
let server: RunningServer | undefined;

useTestLab((created) => (lab = created));

async function start(...args: Parameters<typeof contextFor>): Promise<RunningServer> {
  server = await startServer(contextFor(...args));
  return server;
}

/** Polls GET /sessions/:id until the session is done, failed or aborted, and returns that snapshot. */
async function finalHandle(s: RunningServer, id: string): Promise<SessionHandle> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const handle = SessionHandleSchema.parse(await (await fetch(`${s.base}${SESSIONS}/${id}`, { headers: authorized() })).json());
    if (handle.state === 'done' || handle.state === 'failed' || handle.state === 'aborted') return handle;
    if (Date.now() > deadline) throw new Error(`session ${id} still ${handle.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POSTs `body` (serialised unless it is already a string) as JSON with the token. */
function postSessions(s: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.base}${SESSIONS}`, {
    method: 'POST',
    headers: authorized({ 'content-type': 'application/json', ...headers }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /api/v1/sessions', () => {
  it('answers 201 once the gate passed; the session then ends done with the run tree on disk', async () => {
    const s = await start(lab.config);
    const response = await postSessions(s, runRequest());

    expect(response.status).toBe(201);
    const started = SessionHandleSchema.parse(await response.json());
    expect(started).toMatchObject({ kind: 'run', state: 'rendering', current_phase: 'rendering_template', error: null });
    const handle = await finalHandle(s, started.session_id);
    const destination = join(lab.localRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot', 'Runs', 'Run_2026-03-02T09-15');
    expect(handle.state).toBe('done');
    expect(handle.kind).toBe('run');
    expect(handle.result?.path).toBe(destination);
    const creation = CreationJsonSchema.parse(JSON.parse(await readFile(join(destination, '.exlab-wizard', 'creation.json'), 'utf8')));
    expect(creation.schema_version).toBe('1.9');
    expect(await readFile(join(destination, 'acquisition_notes.md'), 'utf8')).toContain('# Acquisition notes: Slice 4 baseline');
  });

  it('applies the request defaults: experimental run kind and empty variables', async () => {
    const s = await start(lab.config);
    const body: Record<string, unknown> = { ...runRequest() };
    delete body.run_kind;
    delete body.variables;
    delete body.readme_extra;
    const response = await postSessions(s, body);
    expect(response.status).toBe(201);
    const handle = await finalHandle(s, ((await response.json()) as SessionHandle).session_id);
    expect(handle.result?.path).toContain(join('Runs', 'Run_2026-03-02T09-15'));
  });

  describe('refuses a bad body with 422 and writes nothing', () => {
    async function refusal(
      body: unknown,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; error: ReturnType<typeof envelopeOf> }> {
      const s = await start(lab.config);
      const before = await listTree(lab.root);
      const response = await postSessions(s, body, headers);
      const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
      expect(await listTree(lab.root)).toEqual(before);
      return { status: response.status, error };
    }

    it('names an unknown field in field and lists every issue in details.errors', async () => {
      const { status, error } = await refusal({ ...runRequest(), colour: 'blue' });
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
      expect(error.field).toBe('colour');
      expect(error.details?.errors).toEqual([{ loc: ['colour'], msg: 'unknown field "colour"', type: 'unrecognized_keys' }]);
    });

    it('names a nested unknown field by its dotted path', async () => {
      const { error } = await refusal({
        ...runRequest(),
        lims_project: { uid: 'u', short_id: 'PROJ-1', name: 'Cortex Q3 Pilot', extra: 1 },
      });
      expect(error.field).toBe('lims_project.extra');
    });

    it('refuses a label over 100 characters as field_too_long on label', async () => {
      const { status, error } = await refusal(runRequest({ label: 'l'.repeat(101) }));
      expect(status).toBe(422);
      expect(error.code).toBe('field_too_long');
      expect(error.field).toBe('label');
      expect(error.details).toMatchObject({ max_length: 100 });
    });

    it('refuses a body without kind', async () => {
      const body: Record<string, unknown> = { ...runRequest() };
      delete body.kind;
      const { status, error } = await refusal(body);
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
      expect(error.field).toBe('kind');
    });

    it('refuses a kind it does not know', async () => {
      const { status, error } = await refusal({ ...runRequest(), kind: 'equipment' });
      expect(status).toBe(422);
      expect(error.field).toBe('kind');
    });

    it('refuses a project body without its LIMS project', async () => {
      const body: Record<string, unknown> = { ...projectRequest() };
      delete body.lims_project;
      const { status, error } = await refusal(body);
      expect(status).toBe(422);
      expect(error.field).toBe('lims_project');
    });

    it('refuses a missing required field and names it', async () => {
      const body: Record<string, unknown> = { ...runRequest() };
      delete body.operator;
      const { status, error } = await refusal(body);
      expect(status).toBe(422);
      expect(error.field).toBe('operator');
    });

    it('refuses a run_date that is not an ISO timestamp', async () => {
      const { status, error } = await refusal(runRequest({ run_date: 'yesterday' }));
      expect(status).toBe(422);
      expect(error.field).toBe('run_date');
    });

    it('refuses an unknown run_kind', async () => {
      const { status, error } = await refusal({ ...runRequest(), run_kind: 'rehearsal' });
      expect(status).toBe(422);
      expect(error.field).toBe('run_kind');
    });

    it('refuses a body that is not valid JSON', async () => {
      const { status, error } = await refusal('{"kind": "run",');
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
      expect(error.field).toBe('body');
    });

    it('refuses a JSON body that smuggles __proto__', async () => {
      const { status, error } = await refusal('{"kind":"run","__proto__":{"polluted":true}}');
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses an empty JSON body', async () => {
      const { status, error } = await refusal('');
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
    });

    it('refuses a JSON array body', async () => {
      const { status, error } = await refusal('[]');
      expect(status).toBe(422);
      expect(error.code).toBe('validation_failed');
    });

    it('refuses a body that is not JSON with 415 unsupported_media_type', async () => {
      const { status, error } = await refusal('<run/>', { 'content-type': 'application/xml' });
      expect(status).toBe(415);
      expect(error.code).toBe('unsupported_media_type');
    });
  });

  it('refuses a body over 1 MiB with 413 payload_too_large and writes nothing', async () => {
    const s = await start(lab.config);
    const before = await listTree(lab.root);
    const body = JSON.stringify(runRequest({ objective: 'o'.repeat(1024 * 1024) }));
    const response = await rawRequest(s.port, {
      method: 'POST',
      path: SESSIONS,
      headers: authorized({
        host: `127.0.0.1:${s.port}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      }),
      body,
    });
    expect(response.status).toBe(413);
    expect(envelopeOf(response.body, response.headers['x-trace-id']).code).toBe('payload_too_large');
    expect(await listTree(lab.root)).toEqual(before);
  });

  it('maps creation gate refusals onto their HTTP status and writes nothing', async () => {
    const s = await start(lab.config);
    const cases: [Partial<ReturnType<typeof runRequest>>, number, string, string][] = [
      [{ equipment_id: 'SPIM_09' }, 422, 'equipment_not_configured', 'equipment_id'],
      [{ project_name: 'a:b' }, 422, 'unsafe_project_name', 'project_name'],
      [{ operator: ' ' }, 422, 'validation_failed', 'operator'],
      [{ template_path: '../catalogue.json' }, 422, 'template_load_error', 'template_path'],
      [{ project_name: 'Unknown Project' }, 422, 'project_not_found', 'project_name'],
    ];
    for (const [overrides, status, code, field] of cases) {
      const response = await postSessions(s, runRequest(overrides));
      expect(response.status, code).toBe(status);
      const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
    }
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('creates a project folder from a project body', async () => {
    const s = await start(lab.config);
    const response = await postSessions(s, projectRequest());
    expect(response.status).toBe(201);
    const handle = await finalHandle(s, ((await response.json()) as SessionHandle).session_id);
    expect(handle).toMatchObject({ kind: 'project', state: 'done', result: { path: join(lab.localRoot, EQUIPMENT_ID, 'Retina Mapping') } });
  });

  it('refuses a second run in the same minute with 409 destination_exists and keeps the first', async () => {
    const s = await start(lab.config);
    const first = await postSessions(s, runRequest({ label: 'First' }));
    expect(first.status).toBe(201);
    expect((await finalHandle(s, ((await first.json()) as SessionHandle).session_id)).state).toBe('done');
    const before = await listTree(lab.localRoot);
    const response = await postSessions(s, runRequest({ label: 'Second' }));
    expect(response.status).toBe(409);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('destination_exists');
    expect(await listTree(lab.localRoot)).toEqual(before);
  });
});

describe('POST /api/v1/sessions while setup is incomplete or the app is quitting', () => {
  it('answers 503 setup_incomplete with state and missing when no config is loaded', async () => {
    const s = await start(null);
    const response = await postSessions(s, runRequest());
    expect(response.status).toBe(503);
    const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
    expect(error.code).toBe('setup_incomplete');
    expect(error.state).toBe('incomplete_no_config');
    expect(error.missing).toEqual([{ field: 'config.yaml', reason: 'missing' }]);
    expect(error.next_action).toBe('set_paths');
  });

  it('answers 503 setup_incomplete for a config without equipment, naming what is missing', async () => {
    const config: Config = { ...lab.config, equipment: [] };
    const s = await start(config);
    const response = await postSessions(s, runRequest());
    expect(response.status).toBe(503);
    const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
    expect(error.state).toBe('incomplete_no_equipment');
    expect(error.missing).toEqual([{ field: 'equipment', reason: 'empty' }]);
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it.each([
    ['an unknown field', { ...runRequest(), colour: 'blue' }],
    ['a body without kind', { label: 'x' }],
    ['a body that is not JSON', '{"kind":'],
    ['an empty body', ''],
  ])('runs the setup gate before body validation: %s still gets 503', async (_what, body) => {
    const s = await start(null);
    const response = await postSessions(s, body);
    expect(response.status).toBe(503);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('setup_incomplete');
  });

  it('checks the token before the setup gate, so an anonymous caller learns nothing about setup', async () => {
    const s = await start(null);
    const response = await fetch(`${s.base}${SESSIONS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
    expect(error.code).toBe('unauthorized');
    expect(error.state).toBeUndefined();
  });

  it('checks the Origin before the setup gate', async () => {
    const s = await start(null);
    const response = await postSessions(s, runRequest(), { origin: 'http://evil.example' });
    expect(response.status).toBe(403);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('forbidden_origin');
  });

  it('does not gate on an unreachable LIMS', async () => {
    const unreachable: SetupStatus = { state: 'incomplete_lims_unreachable', missing: [], next_action: 'test_lims', ready: false };
    const s = await start(lab.config, { getSetupStatus: () => unreachable });
    const response = await postSessions(s, runRequest());
    expect(response.status).toBe(201);
  });

  it('answers 503 shutting_down while quitting and writes nothing', async () => {
    const s = await start(lab.config, { isShuttingDown: () => true });
    const response = await postSessions(s, runRequest());
    expect(response.status).toBe(503);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('shutting_down');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('reads the config and setup state on every request, so finishing setup applies without a restart', async () => {
    let config: Config | null = null;
    const s = await start(null, {
      controller: new CreationController({ getConfig: () => config }),
      getConfig: () => config,
      getSetupStatus: () => evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null }),
    });
    expect((await postSessions(s, runRequest())).status).toBe(503);
    config = lab.config;
    expect((await postSessions(s, runRequest())).status).toBe(201);
  });
});

describe('GET /api/v1/sessions/:id', () => {
  it('answers 200 with the current snapshot of the session the POST opened', async () => {
    const s = await start(lab.config);
    const created = SessionHandleSchema.parse(await (await postSessions(s, runRequest())).json());
    const done = await finalHandle(s, created.session_id);
    expect(done).toMatchObject({ session_id: created.session_id, kind: 'run', created_at: created.created_at, state: 'done' });
    const response = await fetch(`${s.base}${SESSIONS}/${created.session_id}`, { headers: authorized() });
    expect(response.status).toBe(200);
    expect(SessionHandleSchema.parse(await response.json())).toEqual(done);
  });

  it('answers 404 session_not_found for an unknown id', async () => {
    const s = await start(lab.config);
    const response = await fetch(`${s.base}${SESSIONS}/6f1c2d9e-0000-4000-8000-000000000000`, { headers: authorized() });
    expect(response.status).toBe(404);
    const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
    expect(error.code).toBe('session_not_found');
    expect(error.field).toBe('id');
  });

  it('is not gated by setup, so a client can still read its session', async () => {
    let ready = true;
    const s = await start(lab.config, {
      getSetupStatus: () =>
        ready
          ? { state: 'ready', missing: [], next_action: null, ready: true }
          : { state: 'incomplete_no_equipment', missing: [], next_action: 'add_equipment', ready: false },
    });
    const created = SessionHandleSchema.parse(await (await postSessions(s, runRequest())).json());
    ready = false;
    const response = await fetch(`${s.base}${SESSIONS}/${created.session_id}`, { headers: authorized() });
    expect(response.status).toBe(200);
  });

  it('needs the token', async () => {
    const s = await start(lab.config);
    const response = await fetch(`${s.base}${SESSIONS}/anything`);
    expect(response.status).toBe(401);
  });
});
