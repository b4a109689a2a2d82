import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '@exlab/server/client';
import { createTestLab, runRequest, type TestLab } from './support/lab.js';
import { TOKEN, contextFor, startServer, type RunningServer } from './support/server.js';

let lab: TestLab;
let server: RunningServer | undefined;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await server?.app.close();
  await server?.context.controller.close();
  server = undefined;
  await lab.remove();
});

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
