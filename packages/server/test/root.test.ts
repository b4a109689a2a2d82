import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestLab, type TestLab } from './support/lab.js';
import { TOKEN, authorized, contextFor, startServer, type RunningServer } from './support/server.js';

let lab: TestLab;
let server: RunningServer;

beforeEach(async () => {
  lab = await createTestLab();
  server = await startServer(contextFor(lab.config));
});

afterEach(async () => {
  await server.app.close();
  await lab.remove();
});

describe('window entry /', () => {
  it('swaps the launch token for an HttpOnly SameSite=Strict cookie and redirects 302 to /', async () => {
    const response = await fetch(`${server.base}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const attributes = (cookies[0] ?? '').split(';').map((part) => part.trim());
    expect(attributes[0]).toBe(`exlab_token=${TOKEN}`);
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Strict');
    expect(attributes).toContain('Path=/');
  });

  it('serves the HTML page to a request carrying the cookie it set', async () => {
    const swap = await fetch(`${server.base}/?token=${TOKEN}`, { redirect: 'manual' });
    const cookie = (swap.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';

    const response = await fetch(`${server.base}/`, { headers: { cookie } });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('ExLab-Wizard');
    expect(html).toContain('<strong>ready</strong>');
  });

  it('serves the page to the Bearer token as well', async () => {
    const response = await fetch(`${server.base}/`, { headers: authorized() });
    expect(response.status).toBe(200);
  });

  it('answers / without the cookie with a 401 HTML page', async () => {
    const response = await fetch(`${server.base}/`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('exlab open');
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    ['a wrong token', '/?token=not-the-token'],
    ['an empty token', '/?token='],
    ['the token with a suffix', `/?token=${TOKEN}0`],
  ])('answers a launch link with %s with 401 and sets no cookie', async (_what, path) => {
    const response = await fetch(`${server.base}${path}`, { redirect: 'manual' });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain('expired');
  });

  it('answers a launch link with the token given twice with 401, not a server error', async () => {
    const response = await fetch(`${server.base}/?token=${TOKEN}&token=${TOKEN}`, { redirect: 'manual' });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('answers / with a wrong cookie with 401', async () => {
    const response = await fetch(`${server.base}/`, { headers: { cookie: 'exlab_token=stale-token' } });
    expect(response.status).toBe(401);
  });
});
