import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackRequest } from '../src/loopback-http.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A loopback server on an OS-assigned port that answers with `handle`. */
async function serve(handle: (request: IncomingMessage, body: string) => { status: number; body: string } | null): Promise<number> {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answer = handle(request, body);
      if (answer === null) return; // never answers
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('loopbackRequest', () => {
  it('sends the headers and a JSON body, with the Host the tray accepts, and returns the status and text', async () => {
    const seen: { method?: string; url?: string; host?: string; auth?: string; type?: string; body?: string } = {};
    const port = await serve((request, body) => {
      Object.assign(seen, {
        method: request.method,
        url: request.url,
        host: request.headers.host,
        auth: request.headers.authorization,
        type: request.headers['content-type'],
        body,
      });
      return { status: 202, body: '{"quitting":true}' };
    });
    const answer = await loopbackRequest(port, '/api/v1/app/quit', {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      json: { force: false },
      timeoutMs: 2_000,
    });
    expect(answer).toEqual({ status: 202, body: '{"quitting":true}' });
    expect(seen).toEqual({
      method: 'POST',
      url: '/api/v1/app/quit',
      host: `127.0.0.1:${port}`,
      auth: 'Bearer t',
      type: 'application/json',
      body: '{"force":false}',
    });
  });

  it('rejects when nothing answers within the timeout', async () => {
    const port = await serve(() => null);
    await expect(loopbackRequest(port, '/api/v1/health', { timeoutMs: 50 })).rejects.toThrow();
  });
});
