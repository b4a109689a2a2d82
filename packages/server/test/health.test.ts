import { cp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreationController } from '@exlab/controller';
import { HealthSchema, type Config, type Health } from '@exlab/core/schemas';
import { PLUGIN_FIXTURES, type TestLab } from './support/lab.js';
import { authorized, contextFor, startServer, useTestLab, type RunningServer } from './support/server.js';

// GET /api/v1/health (requirements C7): every component, the worst one as the top-level status,
// a throwing probe reported as warn, and the LIMS state following POST /setup/test-lims.

let lab: TestLab;
let server: RunningServer | undefined;
const extraServers: Server[] = [];

useTestLab((created) => (lab = created));

afterEach(async () => {
  await Promise.all(extraServers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function health(s: RunningServer): Promise<Health> {
  const response = await fetch(`${s.base}/api/v1/health`, { headers: authorized() });
  expect(response.status).toBe(200);
  return HealthSchema.parse(await response.json());
}

function withLims(config: Config, lims: Partial<Config['lims']>): Config {
  return { ...config, lims: { ...config.lims, ...lims } };
}

async function testLims(s: RunningServer, endpoint: string): Promise<{ ok: boolean }> {
  const response = await fetch(`${s.base}/api/v1/setup/test-lims`, {
    method: 'POST',
    headers: authorized({ 'content-type': 'application/json' }),
    body: JSON.stringify({ lims: { endpoint } }),
  });
  return (await response.json()) as { ok: boolean };
}

/** A local HTTP server standing in for the LIMS host; resolves with its base URL. */
async function httpPeer(): Promise<string> {
  const peer = createServer((_request, response) => response.end('{}'));
  extraServers.push(peer);
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const address = peer.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

describe('GET /api/v1/health components', () => {
  it('reports every component of C7 and ok on a complete lab', async () => {
    server = await startServer(contextFor(lab.config));
    const body = await health(server);
    expect(Object.keys(body.components).sort()).toEqual(['config', 'lims', 'nas_sync', 'plugin_host', 'session_store', 'validator']);
    expect(body.status).toBe('ok');
    expect(body.components.lims).toEqual({ status: 'ok', source: 'offline_catalogue', reachable: null });
    expect(body.components.plugin_host).toEqual({ status: 'ok', registered_plugins: 0, rejected_plugins: 0, live_workers: 0 });
    expect(body.components.nas_sync).toMatchObject({ status: 'ok', enabled: false, queue_depth: 0, in_flight: 0 });
    expect(body.components.validator).toMatchObject({ status: 'ok', findings: 0, blocking_findings: 0 });
  });

  it('counts the plugins of paths.plugin_dir and warns about a rejected one, naming it and the rule', async () => {
    await cp(join(PLUGIN_FIXTURES, 'hello'), join(lab.config.paths.plugin_dir, 'hello'), { recursive: true });
    await cp(join(PLUGIN_FIXTURES, 'manifest_timeout_301'), join(lab.config.paths.plugin_dir, 'slow'), { recursive: true });
    server = await startServer(contextFor(lab.config));
    const body = await health(server);
    expect(body.status).toBe('warn');
    expect(body.components.plugin_host).toMatchObject({ status: 'warn', registered_plugins: 1, rejected_plugins: 1 });
    expect(String(body.components.plugin_host?.reason)).toContain(join(lab.config.paths.plugin_dir, 'slow'));
    // Later polls answer from the registry already read, with the same component.
    expect((await health(server)).components.plugin_host).toEqual(body.components.plugin_host);
  });

  it('warns when the offline catalogue cannot be read', async () => {
    await rm(lab.cataloguePath);
    server = await startServer(contextFor(lab.config));
    const body = await health(server);
    expect(body.status).toBe('warn');
    expect(body.components.lims).toMatchObject({ status: 'warn', source: 'offline_catalogue' });
    expect(String(body.components.lims?.reason)).toContain(lab.cataloguePath);
  });

  it('follows POST /setup/test-lims: unreachable is warn "unreachable; using cache", a later answer is ok', async () => {
    const config = withLims(lab.config, { offline_catalogue_path: '', endpoint: 'http://127.0.0.1:9', email: 'ada@lab.example' });
    server = await startServer(contextFor(config));
    expect((await health(server)).components.lims).toEqual({ status: 'ok', source: 'endpoint', reachable: null });

    const closed = await httpPeer();
    const closedPort = new URL(closed).port;
    await new Promise((resolve) => extraServers.pop()?.close(resolve));
    expect((await testLims(server, `http://127.0.0.1:${closedPort}`)).ok).toBe(false);
    expect((await health(server)).components.lims).toEqual({
      status: 'warn',
      reason: 'unreachable; using cache',
      source: 'endpoint',
      reachable: false,
    });

    expect((await testLims(server, await httpPeer())).ok).toBe(true);
    expect((await health(server)).components.lims).toMatchObject({ status: 'ok', source: 'endpoint', reachable: true });
  });

  it('warns when no LIMS is configured at all', async () => {
    server = await startServer(contextFor(withLims(lab.config, { offline_catalogue_path: '' })));
    expect((await health(server)).components.lims).toMatchObject({ status: 'warn', source: 'none', reachable: null });
  });

  it('reports the NAS sync queue a sync port gives', async () => {
    const controller = new CreationController({
      getConfig: () => lab.config,
      ports: { sync: { enqueue: () => undefined, stats: () => ({ queue_depth: 3, in_flight: 1 }) } },
    });
    server = await startServer(contextFor(lab.config, { controller }));
    expect((await health(server)).components.nas_sync).toEqual({ status: 'ok', enabled: true, queue_depth: 3, in_flight: 1 });
  });

  it('warns about failed NAS sync jobs and reports a queue that cannot be opened as an error', async () => {
    let stats: { queue_depth: number; in_flight: number; failed?: number; error?: string } = { queue_depth: 0, in_flight: 0, failed: 2 };
    const controller = new CreationController({
      getConfig: () => lab.config,
      ports: { sync: { enqueue: () => undefined, stats: () => stats } },
    });
    server = await startServer(contextFor(lab.config, { controller }));
    const warned = await health(server);
    expect(warned.status).toBe('warn');
    expect(warned.components.nas_sync).toEqual({
      status: 'warn',
      enabled: true,
      queue_depth: 0,
      in_flight: 0,
      failed: 2,
      reason: '2 NAS sync jobs failed; app.log says why',
    });
    stats = { queue_depth: 0, in_flight: 0, error: 'node:sqlite is missing' };
    const broken = await health(server);
    expect(broken.status).toBe('error');
    expect(broken.components.nas_sync).toMatchObject({
      status: 'error',
      reason: 'the NAS sync queue cannot be used: node:sqlite is missing',
    });
  });

  it('reports a probe that throws as warn with its message, and still answers 200', async () => {
    const controller = new CreationController({
      getConfig: () => lab.config,
      ports: {
        plugins: {
          runPass: () => Promise.reject(new Error('unused')),
          status: () => Promise.reject(new Error('registry folder vanished')),
        },
      },
    });
    server = await startServer(contextFor(lab.config, { controller }));
    const body = await health(server);
    expect(body.status).toBe('warn');
    expect(body.components.plugin_host).toEqual({ status: 'warn', reason: 'the plugin_host probe failed: registry folder vanished' });
    expect(body.components.session_store?.status).toBe('ok');
  });
});
