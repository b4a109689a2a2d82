import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthSchema } from '@exlab/core/schemas';
import { allowedHosts, allowedOrigins, tokensEqual, traceIdFor } from '@exlab/server';
import { createTestLab, listTree, runRequest, type TestLab } from './support/lab.js';
import { TOKEN, authorized, contextFor, envelopeOf, rawRequest, startServer, type RunningServer } from './support/server.js';

let lab: TestLab;
let server: RunningServer;

beforeEach(async () => {
  lab = await createTestLab();
  server = await startServer(contextFor(lab.config));
});

afterEach(async () => {
  await server.app.close();
  // Sessions still running end (their files kept) before the lab is removed under them.
  await server.context.controller.close();
  await lab.remove();
});

const HEALTH = '/api/v1/health';

describe('token authentication', () => {
  it('answers /health with 200 and a valid health body for the Bearer token', async () => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers: authorized() });
    expect(response.status).toBe(200);
    const health = HealthSchema.parse(await response.json());
    expect(health).toMatchObject({
      status: 'ok',
      version: '0.1.0-test',
      instance_id: 'instance-test-1',
      schema_versions: { creation_json: '1.9' },
      setup_state: 'ready',
    });
    expect(health.components.session_store).toEqual({ status: 'ok', active_sessions: 0, input_required: 0, interrupted_creations: [] });
  });

  it('refuses a request without a token with a 401 unauthorized envelope', async () => {
    const response = await fetch(`${server.base}${HEALTH}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const error = envelopeOf(await response.text(), response.headers.get('x-trace-id'));
    expect(error.code).toBe('unauthorized');
    expect(error.message).not.toContain(TOKEN);
  });

  it.each([
    ['a wrong Bearer token', { authorization: 'Bearer not-the-token' }],
    ['the token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
    ['an empty Bearer token', { authorization: 'Bearer ' }],
    ['the token in another scheme', { authorization: `Basic ${TOKEN}` }],
    ['a wrong cookie', { cookie: 'exlab_token=nope' }],
    ['the token in a cookie of another name', { cookie: `session=${TOKEN}` }],
  ])('refuses %s with 401 unauthorized', async (_what, headers) => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers });
    expect(response.status).toBe(401);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('unauthorized');
  });

  it('accepts the token from the exlab_token cookie among other cookies', async () => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers: { cookie: `theme=dark; exlab_token=${TOKEN}; lang=en` } });
    expect(response.status).toBe(200);
  });

  it('answers a malformed cookie with 401, not a server error', async () => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers: { cookie: 'exlab_token=%E0%A4%A' } });
    expect(response.status).toBe(401);
    expect(envelopeOf(await response.text(), response.headers.get('x-trace-id')).code).toBe('unauthorized');
  });

  it('asks for the token on unknown routes too', async () => {
    const response = await fetch(`${server.base}/api/v1/nothing-here`);
    expect(response.status).toBe(401);
  });
});

describe('Host allow-list (DNS rebinding)', () => {
  it('refuses a foreign Host with 403 forbidden_host even with the token', async () => {
    const response = await rawRequest(server.port, { path: HEALTH, headers: { host: 'evil.example', ...authorized() } });
    expect(response.status).toBe(403);
    const error = envelopeOf(response.body, response.headers['x-trace-id']);
    expect(error.code).toBe('forbidden_host');
    expect(error.field).toBe('host');
  });

  it('checks the Host before the token, so a rebinding page learns nothing', async () => {
    const response = await rawRequest(server.port, { path: HEALTH, headers: { host: `evil.example:${server.port}` } });
    expect(response.status).toBe(403);
    expect(envelopeOf(response.body, response.headers['x-trace-id']).code).toBe('forbidden_host');
  });

  it.each([
    ['localhost on the server port', (port: number) => `localhost:${port}`],
    ['127.0.0.1 on the server port', (port: number) => `127.0.0.1:${port}`],
    ['localhost in upper case', (port: number) => `LOCALHOST:${port}`],
  ])('accepts Host %s', async (_what, host) => {
    const response = await rawRequest(server.port, { path: HEALTH, headers: { host: host(server.port), ...authorized() } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['localhost without a port', () => 'localhost'],
    ['loopback on another port', (port: number) => `127.0.0.1:${port + 1}`],
    ['the IPv6 loopback', (port: number) => `[::1]:${port}`],
    ['a loopback look-alike', (port: number) => `127.0.0.1.evil.example:${port}`],
  ])('refuses Host %s', async (_what, host) => {
    const response = await rawRequest(server.port, { path: HEALTH, headers: { host: host(server.port), ...authorized() } });
    expect(response.status).toBe(403);
    expect(envelopeOf(response.body, response.headers['x-trace-id']).code).toBe('forbidden_host');
  });

  it('refuses a foreign Host on the window entry, so the launch link cannot be replayed through it', async () => {
    const response = await rawRequest(server.port, { path: `/?token=${TOKEN}`, headers: { host: 'evil.example' } });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('Origin check on state-changing requests', () => {
  const post = (
    origin: string | undefined,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
    rawRequest(server.port, {
      method: 'POST',
      path: '/api/v1/sessions',
      headers: { host: `127.0.0.1:${server.port}`, 'content-type': 'application/json', ...authorized(), ...(origin ? { origin } : {}) },
      body: JSON.stringify(runRequest()),
    });

  it('refuses a POST from a foreign Origin with 403 forbidden_origin and writes nothing', async () => {
    const response = await post('http://evil.example');
    expect(response.status).toBe(403);
    const error = envelopeOf(response.body, response.headers['x-trace-id']);
    expect(error.code).toBe('forbidden_origin');
    expect(error.field).toBe('origin');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it.each([
    ['the same port on another scheme', (port: number) => `https://127.0.0.1:${port}`],
    ['loopback on another port', (port: number) => `http://127.0.0.1:${port + 1}`],
    ['the opaque null origin', () => 'null'],
  ])('refuses a POST from %s', async (_what, origin) => {
    const response = await post(origin(server.port));
    expect(response.status).toBe(403);
    expect(envelopeOf(response.body, response.headers['x-trace-id']).code).toBe('forbidden_origin');
  });

  it.each([
    ['its own 127.0.0.1 origin', (port: number) => `http://127.0.0.1:${port}`],
    ['its own localhost origin', (port: number) => `http://localhost:${port}`],
  ])('lets a POST from %s through', async (_what, origin) => {
    const response = await post(origin(server.port));
    expect(response.status).toBe(201);
  });

  it('lets a POST without Origin (a script) through', async () => {
    const response = await post(undefined);
    expect(response.status).toBe(201);
  });

  it('does not check the Origin of a GET', async () => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers: authorized({ origin: 'http://evil.example' }) });
    expect(response.status).toBe(200);
  });
});

describe('trace ids', () => {
  it('puts a fresh 12-hex-character x-trace-id on every response', async () => {
    const ok = await fetch(`${server.base}${HEALTH}`, { headers: authorized() });
    const denied = await fetch(`${server.base}${HEALTH}`);
    const okId = ok.headers.get('x-trace-id');
    const deniedId = denied.headers.get('x-trace-id');
    expect(okId).toMatch(/^[0-9a-f]{12}$/);
    expect(deniedId).toMatch(/^[0-9a-f]{12}$/);
    expect(okId).not.toBe(deniedId);
  });

  it('echoes the caller X-Trace-Id on success and in error bodies', async () => {
    const ok = await fetch(`${server.base}${HEALTH}`, { headers: authorized({ 'x-trace-id': 'deadbeef' }) });
    expect(ok.headers.get('x-trace-id')).toBe('deadbeef');
    const denied = await fetch(`${server.base}${HEALTH}`, { headers: { 'x-trace-id': 'deadbeef' } });
    expect(denied.headers.get('x-trace-id')).toBe('deadbeef');
    expect(envelopeOf(await denied.text(), 'deadbeef').trace_id).toBe('deadbeef');
  });

  it('replaces a caller trace id that is not a safe token', async () => {
    const response = await fetch(`${server.base}${HEALTH}`, { headers: authorized({ 'x-trace-id': 'a b<script>' }) });
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('security helpers', () => {
  it('allows loopback by address and by name on the given port only', () => {
    expect(allowedHosts(8765)).toEqual(['127.0.0.1:8765', 'localhost:8765']);
    expect(allowedOrigins(8765)).toEqual(['http://127.0.0.1:8765', 'http://localhost:8765']);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('abc', '')).toBe(false);
    expect(tokensEqual('abc', 'ab')).toBe(false);
    expect(tokensEqual('abc', 'abc'.repeat(1000))).toBe(false);
    expect(tokensEqual('abc', 'ab\u00e9')).toBe(false);
    expect(tokensEqual('ab\u00e9', 'ab\u00e9')).toBe(true);
    expect(tokensEqual('', '')).toBe(true);
    expect(tokensEqual('', 'a')).toBe(false);
    // The comparison keeps no state from an earlier call.
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('abc', 'abc')).toBe(true);
  });

  it('keeps a safe caller trace id and invents one otherwise', () => {
    expect(traceIdFor('deadbeef')).toBe('deadbeef');
    expect(traceIdFor(['first-id', 'second'])).toBe('first-id');
    expect(traceIdFor(undefined)).toMatch(/^[0-9a-f]{12}$/);
    expect(traceIdFor('x'.repeat(65))).toMatch(/^[0-9a-f]{12}$/);
    expect(traceIdFor('')).toMatch(/^[0-9a-f]{12}$/);
  });
});
