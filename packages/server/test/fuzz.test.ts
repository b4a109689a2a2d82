import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorEnvelopeSchema } from '@exlab/core/schemas';
import { listTree, type TestLab } from './support/lab.js';
import { TOKEN, contextFor, rawRequest, startServer, useTestLab, type RunningServer } from './support/server.js';

// Seeded so a failure reproduces: set EXLAB_FUZZ_SEED to replay another run.
const SEED = Number(process.env.EXLAB_FUZZ_SEED ?? 20261122);
const CASES = 2_400;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let lab: TestLab;
let server: RunningServer | undefined;

useTestLab((created) => (lab = created));

describe('fuzzing the API', () => {
  it(`answers ${CASES} malformed requests with 4xx envelopes and a trace id, writes nothing, and stays up`, async () => {
    await mkdir(join(lab.localRoot, 'CONFOCAL_01'), { recursive: true });
    await symlink(lab.root, join(lab.localRoot, 'CONFOCAL_01', 'out'));
    server = await startServer(contextFor(lab.config, { audit: { intervalMs: 0 } }));
    const s = server;
    const before = await listTree(lab.root);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

    const segments = [
      '..',
      '%2e%2e',
      '%2F',
      '..%2f..%2f',
      '%00',
      'ü∂ƒ©',
      '😀',
      'x'.repeat(3000),
      '/etc/passwd',
      `${lab.localRoot}/CONFOCAL_01/out`,
      `${lab.localRoot}/CONFOCAL_01/out/nas`,
      lab.root,
      'nope',
      '',
      '%ZZ',
      'a%2fb',
      '..\\..\\',
    ];
    const routes = [
      ['POST', '/api/v1/sessions'],
      ['GET', '/api/v1/sessions/{x}'],
      ['POST', '/api/v1/sessions/{x}/resume'],
      ['POST', '/api/v1/sessions/{x}/cancel'],
      ['GET', '/api/v1/problems?scope={x}&severity={x}'],
      ['POST', '/api/v1/problems/{x}/override'],
      ['POST', '/api/v1/problems/{x}/override/revoke'],
      ['GET', '/api/v1/folder/{x}'],
      ['GET', '/api/v1/folder/{x}/{x}'],
      ['GET', '/api/v1/run/{x}'],
      ['GET', '/api/v1/run//{x}'],
      ['POST', '/api/v1/config/equipment'],
      ['POST', '/api/v1/setup/test-equipment'],
      ['POST', '/api/v1/setup/test-lims'],
      ['DELETE', '/api/v1/{x}'],
      ['GET', '/{x}/../api/v1/config'],
    ] as const;
    const values: unknown[] = [null, 0, -1, 1e308, true, 'x'.repeat(70_000), '😀', [], [1, 'a'], { a: { b: { c: [] } } }, '..'];
    const bodies = (): string | undefined => {
      const roll = random();
      if (roll < 0.1) return undefined;
      if (roll < 0.2) return '{"unterminated": ';
      if (roll < 0.25) return 'x'.repeat(2 * 1024 * 1024);
      if (roll < 0.6) return JSON.stringify(pick(values));
      const object: Record<string, unknown> = {};
      for (const key of ['kind', 'extra_inputs', 'discard_files', 'problem_class', 'reason', 'id', 'equipment_id', 'lims', pick(segments)])
        if (random() < 0.5) object[key] = pick(values);
      return JSON.stringify(object);
    };

    let refusals = 0;
    for (let index = 0; index < CASES; index += 1) {
      const [method, template] = pick(routes);
      // Raw bytes the HTTP client refuses are sent %-encoded; everything else goes as written.
      const path = template.replaceAll('{x}', () => pick(segments)).replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch));
      const headers: Record<string, string> = { host: `127.0.0.1:${s.port}` };
      const auth = random();
      if (auth < 0.7) headers.authorization = `Bearer ${TOKEN}`;
      else if (auth < 0.85) headers.authorization = `Bearer ${pick(segments).replace(/[^\x21-\x7e]/g, 'z') || 'z'}`;
      if (random() < 0.1) headers.host = pick(['evil.example', `localhost.evil:${s.port}`, '127.0.0.1:1', '']);
      if (random() < 0.15) headers.origin = pick(['http://evil.example', 'null', `http://127.0.0.1:${s.port + 1}`]);
      if (random() < 0.1) headers['x-trace-id'] = pick(['deadbeef', '../x', 'ü'.repeat(3)]).replace(/[^\x21-\x7e]/g, '?');
      const body = method === 'GET' ? undefined : bodies();
      if (body !== undefined) headers['content-type'] = random() < 0.9 ? 'application/json' : 'text/plain';
      const answer = await rawRequest(s.port, { method, path, headers, body });
      const context = `case ${index} (seed ${SEED}): ${method} ${path.slice(0, 120)} -> ${answer.status} ${answer.body.slice(0, 200)}`;
      expect(answer.status, context).toBeLessThan(500);
      if (answer.status >= 400) {
        refusals += 1;
        const parsed = ErrorEnvelopeSchema.safeParse(JSON.parse(answer.body));
        expect(parsed.success, context).toBe(true);
        const envelope = ErrorEnvelopeSchema.parse(parsed.data);
        expect(envelope.error.trace_id, context).toBe(answer.headers['x-trace-id']);
      }
    }
    expect(refusals).toBeGreaterThan(CASES * 0.9);
    expect(await listTree(lab.root)).toEqual(before);
    const health = await rawRequest(s.port, {
      path: '/api/v1/health',
      headers: { host: `127.0.0.1:${s.port}`, authorization: `Bearer ${TOKEN}` },
    });
    expect(health.status).toBe(200);
  });
});
