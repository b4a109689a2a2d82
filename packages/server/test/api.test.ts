import { describe, expect, it } from 'vitest';
import type { CreationController } from '@exlab/controller';
import { evaluateSetupState } from '@exlab/core/config';
import { ExLabError } from '@exlab/core/errors';
import { HealthSchema, SetupStatusSchema, type Config } from '@exlab/core/schemas';
import { parseBody } from '@exlab/server';
import { z } from 'zod';
import { runRequest, type TestLab } from './support/lab.js';
import {
  authorized,
  contextFor,
  envelopeOf,
  rawRequest,
  recordingLogger,
  startServer,
  useTestLab,
  type RunningServer,
} from './support/server.js';

let lab: TestLab;
let server: RunningServer | undefined;

useTestLab((created) => (lab = created));

async function start(...args: Parameters<typeof contextFor>): Promise<RunningServer> {
  server = await startServer(contextFor(...args));
  return server;
}

describe('GET /api/v1/health', () => {
  it('reports the config path, the session counts and ok when setup is complete', async () => {
    const s = await start(lab.config);
    const created = (await (
      await fetch(`${s.base}/api/v1/sessions`, {
        method: 'POST',
        headers: authorized({ 'content-type': 'application/json' }),
        body: JSON.stringify(runRequest()),
      })
    ).json()) as { session_id: string };
    await s.context.controller.settled(created.session_id);
    const health = HealthSchema.parse(await (await fetch(`${s.base}/api/v1/health`, { headers: authorized() })).json());
    expect(health.status).toBe('ok');
    expect(health.schema_versions).toEqual({ creation_json: '1.9', readme_fields_json: '1.1', ingest_json: '1.1' });
    expect(health.components.config).toEqual({ status: 'ok', path: '/etc/exlab/config.yaml' });
    expect(health.components.session_store).toEqual({ status: 'ok', active_sessions: 0, input_required: 0, interrupted_creations: [] });
  });

  it('still answers 200 without a config, with the config component and the rollup at warn', async () => {
    const s = await start(null);
    const response = await fetch(`${s.base}/api/v1/health`, { headers: authorized() });
    expect(response.status).toBe(200);
    const health = HealthSchema.parse(await response.json());
    expect(health.status).toBe('warn');
    expect(health.components.config?.status).toBe('warn');
    expect(health.setup_state).toBe('incomplete_no_config');
  });
});

describe('GET /api/v1/setup/status', () => {
  it('answers the setup status of a complete lab', async () => {
    const s = await start(lab.config);
    const response = await fetch(`${s.base}/api/v1/setup/status`, { headers: authorized() });
    expect(response.status).toBe(200);
    expect(SetupStatusSchema.parse(await response.json())).toEqual({ state: 'ready', missing: [], next_action: null, ready: true });
  });

  it('answers while setup is incomplete, naming what is missing and the next step', async () => {
    const config: Config = { ...lab.config, paths: { ...lab.config.paths, local_root: '' } };
    const s = await start(config);
    const response = await fetch(`${s.base}/api/v1/setup/status`, { headers: authorized() });
    expect(response.status).toBe(200);
    const status = SetupStatusSchema.parse(await response.json());
    expect(status).toEqual(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null }));
    expect(status).toEqual({
      state: 'incomplete_missing_paths',
      missing: [{ field: 'paths.local_root', reason: 'unset' }],
      next_action: 'set_paths',
      ready: false,
    });
  });

  it('needs the token', async () => {
    const s = await start(lab.config);
    expect((await fetch(`${s.base}/api/v1/setup/status`)).status).toBe(401);
  });
});

describe('the error envelope', () => {
  it('answers an unknown route with a 404 route_not_found envelope carrying the trace id', async () => {
    const s = await start(lab.config);
    const response = await fetch(`${s.base}/api/v1/no/such/route?x=1`, { headers: authorized({ 'x-trace-id': 'trace-404' }) });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-trace-id')).toBe('trace-404');
    const error = envelopeOf(await response.text(), 'trace-404');
    expect(error.code).toBe('route_not_found');
    expect(error.message).toBe('No route GET /api/v1/no/such/route.');
  });

  it('answers a known path with an unsupported method as route_not_found', async () => {
    const s = await start(lab.config);
    const response = await fetch(`${s.base}/api/v1/health`, { method: 'DELETE', headers: authorized() });
    expect(response.status).toBe(404);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('route_not_found');
  });

  it('keeps duplicate slashes significant', async () => {
    const s = await start(lab.config);
    const response = await rawRequest(s.port, { path: '/api/v1//health', headers: authorized({ host: `127.0.0.1:${s.port}` }) });
    expect(response.status).toBe(404);
  });

  it('answers an uncaught error with 500 internal_error, a fixed message and the trace id in header and body', async () => {
    const logger = recordingLogger();
    const throwing = {
      create: () => Promise.reject(new Error('disk /secret/path exploded')),
      status: () => undefined,
      close: () => Promise.resolve(),
      interruptedCreations: [],
      sessions: { activeCount: () => 0, inputRequiredCount: () => 0 },
    } as unknown as CreationController;
    const s = await start(lab.config, { controller: throwing, logger });

    const response = await fetch(`${s.base}/api/v1/sessions`, {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json', 'x-trace-id': 'deadbeef' }),
      body: JSON.stringify(runRequest()),
    });

    expect(response.status).toBe(500);
    expect(response.headers.get('x-trace-id')).toBe('deadbeef');
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('exploded');
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal_error', message: 'internal server error', details: { trace_id: 'deadbeef' }, trace_id: 'deadbeef' },
    });
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toContain('disk /secret/path exploded');
  });

  it('logs refusals below 500 nowhere', async () => {
    const logger = recordingLogger();
    const s = await start(lab.config, { logger });
    await fetch(`${s.base}/api/v1/health`);
    await fetch(`${s.base}/api/v1/sessions/unknown`, { headers: authorized() });
    expect(logger.errors).toEqual([]);
  });
});

describe('parseBody', () => {
  const Schema = z.strictObject({ name: z.string(), size: z.number().int() });

  it('returns the parsed body', () => {
    expect(parseBody(Schema, { name: 'a', size: 2 })).toEqual({ name: 'a', size: 2 });
  });

  it('throws validation_failed naming the first field and listing every issue', () => {
    let caught: unknown;
    try {
      parseBody(Schema, { name: 3, size: 'big', extra: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExLabError);
    const error = caught as ExLabError;
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(422);
    expect(error.field).toBe('name');
    const errors = error.details?.errors as { loc: unknown[]; type: string }[];
    expect(errors.map((e) => e.loc)).toEqual([['name'], ['size'], ['extra']]);
    expect(errors.map((e) => e.type)).toEqual(['invalid_type', 'invalid_type', 'unrecognized_keys']);
  });

  it('treats a missing body as an empty object', () => {
    expect(() => parseBody(Schema, undefined)).toThrow(ExLabError);
    expect(parseBody(z.object({}), undefined)).toEqual({});
  });

  it('has no field when the root itself is wrong', () => {
    try {
      parseBody(Schema, 'text');
      expect.unreachable();
    } catch (error) {
      expect((error as ExLabError).field).toBeUndefined();
    }
  });
});

describe('URLs Fastify cannot decode', () => {
  it('answers a malformed %-escape with a 422 envelope and a trace id, not a bare framework error', async () => {
    const s = await start(lab.config);
    const response = await rawRequest(s.port, {
      path: '/api/v1/sessions/abc%zz',
      headers: authorized({ host: `127.0.0.1:${s.port}`, 'x-trace-id': 'bad-url-1' }),
    });
    expect(response.status).toBe(422);
    expect(response.headers['x-trace-id']).toBe('bad-url-1');
    const error = envelopeOf(response.body, 'bad-url-1');
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('url');
  });
});
