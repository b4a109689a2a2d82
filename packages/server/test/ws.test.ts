import { mkdir, writeFile } from 'node:fs/promises';
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
