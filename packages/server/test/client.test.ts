import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { SessionEvent } from '@exlab/core/schemas';
import { ApiClient, ApiError } from '@exlab/server/client';
import { runRequest, type TestLab } from './support/lab.js';
import { TOKEN, contextFor, startServer, useTestLab, type RunningServer } from './support/server.js';

let lab: TestLab;
let server: RunningServer | undefined;

useTestLab((created) => (lab = created));

describe('the typed client', () => {
  it('returns parsed answers and throws ApiError carrying the envelope', async () => {
    server = await startServer(contextFor(lab.config, { audit: { intervalMs: 0 } }));
    const client = new ApiClient({ baseUrl: server.base, token: TOKEN });
    expect((await client.health()).status).toBeDefined();
    const created = await client.createSession(runRequest());
    expect(created.kind).toBe('run');
    expect((await client.setupStatus()).state).toBe(server.context.getSetupStatus().state);
    const refused = await client.session('nope').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 404, code: 'session_not_found' });
    const unauthorized = await new ApiClient({ baseUrl: server.base, token: 'wrong' }).tree().catch((error: unknown) => error);
    expect((unauthorized as ApiError).error.trace_id).toMatch(/^[0-9a-f]{12}$/);
  });
});

/** Every frame `events` yields, in order. */
async function collect(events: AsyncIterable<SessionEvent>): Promise<SessionEvent[]> {
  const frames: SessionEvent[] = [];
  for await (const frame of events) frames.push(frame);
  return frames;
}

const phase = (name: string): string => JSON.stringify({ kind: 'phase', phase: name, at: '2026-03-02T09:15:00Z' });

describe('sessionEvents (the events WebSocket)', () => {
  it('yields every frame of a finished session from the first, then ends', async () => {
    server = await startServer(contextFor(lab.config, { audit: { intervalMs: 0 } }));
    const client = new ApiClient({ baseUrl: server.base, token: TOKEN });
    const { session_id: id } = await client.createSession(runRequest());
    await server.context.controller.settled(id);
    const frames = await collect(client.sessionEvents(id));
    expect(frames[0]).toMatchObject({ kind: 'phase', phase: 'validating_inputs' });
    expect(frames.at(-1)).toMatchObject({ kind: 'done', result: { blocked: false } });
  });

  it('throws session_not_found for an unknown session', async () => {
    server = await startServer(contextFor(lab.config, { audit: { intervalMs: 0 } }));
    const client = new ApiClient({ baseUrl: server.base, token: TOKEN });
    await expect(collect(client.sessionEvents('no-such-session'))).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
  });

  it('reopens a connection lost mid-session and skips the frames the replay repeats', async () => {
    // A stand-in server: the first connection sends two frames and drops; the second replays all four and ends.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const all = ['validating_inputs', 'rendering_template', 'running_plugins', 'writing_cache'].map(phase);
    let connections = 0;
    const authorizations: (string | undefined)[] = [];
    wss.on('connection', (socket, request) => {
      connections += 1;
      authorizations.push(request.headers.authorization);
      if (connections === 1) {
        for (const frame of all.slice(0, 2)) socket.send(frame);
        setImmediate(() => socket.terminate());
      } else {
        for (const frame of all) socket.send(frame);
        socket.close(1000, 'done');
      }
    });
    try {
      const { port } = wss.address() as { port: number };
      const client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN });
      const frames = await collect(client.sessionEvents('s-1'));
      expect(frames.map((f) => (f.kind === 'phase' ? f.phase : f.kind))).toEqual([
        'validating_inputs',
        'rendering_template',
        'running_plugins',
        'writing_cache',
      ]);
      expect(connections).toBe(2);
      expect(authorizations).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  it('gives up after the allowed reconnects with a message naming the session', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => socket.terminate());
    try {
      const { port } = wss.address() as { port: number };
      const client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, reconnects: 1 });
      await expect(collect(client.sessionEvents('s-2'))).rejects.toThrow(/closed 2 times in a row while following session s-2/);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
