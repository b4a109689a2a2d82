import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DefaultPluginPort } from '@exlab/controller';
import { SessionEventSchema, SessionHandleSchema, type SessionEvent } from '@exlab/core/schemas';
import { createTestLab, installPlugins, runRequest, testController, type TestLab } from './support/lab.js';
import { authorized, contextFor, startServer, type RunningServer } from './support/server.js';
import { openSocket } from './support/ws.js';

let lab: TestLab;
let plugins: DefaultPluginPort | undefined;
let server: RunningServer | undefined;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await server?.app.close();
  await server?.context.controller.close();
  await plugins?.shutdown?.();
  server = undefined;
  plugins = undefined;
  await lab.remove();
});

/** A server whose controller runs the real plugin host with the `input_required` fixture plugin. */
async function startWithPromptingPlugin(): Promise<RunningServer> {
  const dir = join(lab.templatesDir, 'plugin_run');
  await mkdir(dir);
  await writeFile(join(dir, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n');
  await writeFile(join(dir, 'notes.txt.jinja'), 'Notes for {{ label }}\n');
  plugins = await installPlugins(lab, ['input_required']);
  server = await startServer(contextFor(lab.config, { controller: testController(lab, { ports: { plugins } }) }));
  return server;
}

async function post(s: RunningServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${s.base}${path}`, {
    method: 'POST',
    headers: authorized({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
}

const kinds = (frames: unknown[]): string[] => frames.map((frame) => (frame as SessionEvent).kind);

describe('WS /api/v1/sessions/:id/events', () => {
  it('replays everything to a late client, fans frames out to two clients, and survives a reconnect mid-session', async () => {
    const s = await startWithPromptingPlugin();
    const created = SessionHandleSchema.parse(
      await (await post(s, '/api/v1/sessions', runRequest({ template_path: 'plugin_run' }))).json(),
    );
    const path = `/api/v1/sessions/${created.session_id}/events`;

    const first = openSocket(s.port, path);
    await first.until((frames) => kinds(frames).includes('input_required'));
    // A late client gets the same history, the pending prompt included.
    const late = openSocket(s.port, path);
    await late.until((frames) => frames.length >= first.frames.length);
    expect(late.frames).toEqual(first.frames);

    // The first client drops mid-session; the answer goes in; both the late and a reconnecting client see the end.
    first.socket.close();
    await first.closed;
    const resumed = await post(s, `/api/v1/sessions/${created.session_id}/resume`, { extra_inputs: { color: 'blue' } });
    expect(resumed.status).toBe(200);
    expect(SessionHandleSchema.parse(await resumed.json()).state).not.toBe('input_required');
    const again = openSocket(s.port, path);
    const [lateClose, againClose] = await Promise.all([late.closed, again.closed]);

    expect(lateClose.code).toBe(1000);
    expect(againClose.code).toBe(1000);
    expect(kinds(late.frames).at(-1)).toBe('done');
    expect(again.frames).toEqual(late.frames);
    expect(again.frames.slice(0, first.frames.length)).toEqual(first.frames);
    for (const frame of late.frames) SessionEventSchema.parse(frame);
  });

  it('closes 4404 for an unknown session and refuses a foreign Origin on upgrade', async () => {
    const s = await startWithPromptingPlugin();
    const unknown = openSocket(s.port, '/api/v1/sessions/no-such-session/events');
    expect((await unknown.closed).code).toBe(4404);
    const foreign = openSocket(s.port, '/api/v1/sessions/x/events', { origin: 'http://evil.example' });
    expect(await foreign.refused).toBe(403);
    const noToken = openSocket(s.port, '/api/v1/sessions/x/events', { authorization: 'Bearer wrong' });
    expect(await noToken.refused).toBe(401);
  });

  it('cancels a suspended session (not gated), which ends aborted and closes the socket 1000 without a frame', async () => {
    const s = await startWithPromptingPlugin();
    const created = SessionHandleSchema.parse(
      await (await post(s, '/api/v1/sessions', runRequest({ template_path: 'plugin_run' }))).json(),
    );
    const socket = openSocket(s.port, `/api/v1/sessions/${created.session_id}/events`);
    await socket.until((frames) => kinds(frames).includes('input_required'));
    const count = socket.frames.length;
    const cancelled = await post(s, `/api/v1/sessions/${created.session_id}/cancel`, { discard_files: true });
    expect(cancelled.status).toBe(200);
    expect(SessionHandleSchema.parse(await cancelled.json()).state).toBe('aborted');
    expect(await socket.closed).toEqual({ code: 1000, reason: 'aborted' });
    expect(socket.frames).toHaveLength(count);
    const again = await post(s, `/api/v1/sessions/${created.session_id}/resume`, { extra_inputs: {} });
    expect(again.status).toBe(409);
  });
});

/** Sends a WebSocket upgrade by hand and collects everything the server writes until it closes the connection. */
function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    // Resolves only when the server ends the connection: the client never closes it.
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('WebSocket upgrades', () => {
  it('refuses an upgrade to an HTTP route with 404 route_not_found and closes the connection', async () => {
    server = await startServer(contextFor(lab.config));
    const answer = await rawUpgrade(server.port, '/api/v1/health', authorized());
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain('"code":"route_not_found"');
    const refused = openSocket(server.port, '/api/v1/tree');
    expect(await refused.refused).toBe(404);
  });

  it('closes the connection of an upgrade refused for its token or Origin', async () => {
    server = await startServer(contextFor(lab.config));
    expect(await rawUpgrade(server.port, '/api/v1/problems/events', { authorization: 'Bearer wrong' })).toMatch(/^HTTP\/1\.1 401 /);
    expect(await rawUpgrade(server.port, '/api/v1/problems/events', { ...authorized(), origin: 'http://evil.example' })).toMatch(
      /^HTTP\/1\.1 403 /,
    );
    expect(await rawUpgrade(server.port, '/api/v1/nothing-here', authorized())).toMatch(/^HTTP\/1\.1 404 /);
  });
});
