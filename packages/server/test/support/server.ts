import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { CreationController } from '@exlab/controller';
import { evaluateSetupState } from '@exlab/core/config';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import type { Config } from '@exlab/core/schemas';
import { buildServer, type ServerContext } from '@exlab/server';
import { afterEach, beforeEach } from 'vitest';
import { createTestLab, type TestLab } from './lab.js';

/** The per-launch token every test server uses. */
export const TOKEN = 'launch-token-0123456789abcdef';

/** A running test server on 127.0.0.1 and an ephemeral port. */
export interface RunningServer {
  app: FastifyInstance;
  port: number;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  context: ServerContext;
}

/** A context over `config` with a real controller; `overrides` replace any part of it. */
export function contextFor(config: Config | null, overrides: Partial<ServerContext> = {}): ServerContext {
  return {
    token: TOKEN,
    version: '0.1.0-test',
    instanceId: 'instance-test-1',
    configPath: '/etc/exlab/config.yaml',
    controller: new CreationController({ getConfig: () => config, osUser: 'ada-os', hostname: 'bench-host' }),
    getConfig: () => config,
    getSetupStatus: () => evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null }),
    isShuttingDown: () => false,
    logger: createNullLogger(),
    ...overrides,
  };
}

/** Servers started and not yet closed by {@link useTestLab}'s clean-up. */
const started = new Set<RunningServer>();

/** Builds the app and listens on 127.0.0.1 and a free port; {@link useTestLab} closes it after the test. */
export async function startServer(context: ServerContext): Promise<RunningServer> {
  const app = await buildServer(context);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const running = { app, port: address.port, base: `http://127.0.0.1:${address.port}`, context };
  started.add(running);
  return running;
}

/**
 * Gives every test of the file a fresh lab (handed to `use`); after each test the servers it
 * started are closed, their controllers too (running sessions end, files kept), and only then
 * is the lab removed from under them.
 */
export function useTestLab(use: (lab: TestLab) => void): void {
  let lab: TestLab | undefined;
  beforeEach(async () => {
    lab = await createTestLab();
    use(lab);
  });
  afterEach(async () => {
    for (const server of [...started]) {
      started.delete(server);
      await server.app.close();
      await server.context.controller.close();
    }
    await lab?.remove();
    lab = undefined;
  });
}

/** Headers with the Bearer token, plus `extra`. */
export function authorized(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TOKEN}`, ...extra };
}

/** A raw HTTP answer. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request with exactly these headers (fetch cannot set Host); the body is sent as given. */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The error object of an envelope body. */
export interface EnvelopeError {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
  trace_id: string;
  [extra: string]: unknown;
}

/** Parses an error envelope and checks its trace id matches the `x-trace-id` header. */
export function envelopeOf(body: string, traceHeader: string | string[] | null | undefined): EnvelopeError {
  const parsed = JSON.parse(body) as { error?: EnvelopeError };
  if (parsed.error === undefined) throw new Error(`not an error envelope: ${body}`);
  if (parsed.error.trace_id !== traceHeader)
    throw new Error(`trace id ${parsed.error.trace_id} differs from header ${String(traceHeader)}`);
  return parsed.error;
}

/** A logger that records every error line (and drops the rest). */
export function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const base = createNullLogger();
  return {
    ...base,
    errors,
    error: (msg: string) => {
      errors.push(msg);
    },
  };
}
