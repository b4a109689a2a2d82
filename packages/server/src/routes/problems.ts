import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { CacheWriter, creationJsonPath } from '@exlab/core/cache';
import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  ErrorEnvelopeSchema,
  OverrideCreateRequestSchema,
  OverrideEntryResponseSchema,
  OverrideRevokeRequestSchema,
  ProblemsQuerySchema,
  ProblemsRefreshResponseSchema,
  ProblemsReportSchema,
  type Finding,
  type ProblemsFrame,
} from '@exlab/core/schemas';
import { access } from 'node:fs/promises';
import type { ProblemsFeed } from '../problems-feed.js';
import { resolveInRoots } from '../sandbox.js';
import { parseBody } from '../body.js';
import type { ServerContext } from '../server-context.js';
import type { SocketRegistry } from '../sockets.js';
import { currentConfig } from './browse.js';

const errors = { 403: ErrorEnvelopeSchema, 404: ErrorEnvelopeSchema, 422: ErrorEnvelopeSchema, 503: ErrorEnvelopeSchema };

function matches(finding: Finding, query: ReturnType<typeof ProblemsQuerySchema.parse>, scopeDir: string | null): boolean {
  if (query.severity !== undefined && finding.tier !== query.severity) return false;
  if (query.class !== undefined && finding.rule !== query.class) return false;
  if (query.scope === 'equipment_id' && !finding.run_path.split(/[\\/]/).includes(query.scope_value ?? '')) return false;
  if (scopeDir !== null && finding.run_path !== scopeDir && !finding.run_path.startsWith(`${scopeDir}/`)) return false;
  return true;
}

/** A run folder named by the wildcard: inside the roots and holding a creation.json (else 404). */
async function runFolder(context: ServerContext, raw: string): Promise<string> {
  const dir = await resolveInRoots(currentConfig(context), raw);
  await access(creationJsonPath(dir)).catch(() => {
    throw new ExLabError('folder_not_found', `"${raw}" is not a run or project folder (no creation.json).`, { field: 'path' });
  });
  return dir;
}

/**
 * The problems routes (§4.6.1, requirements C10): the query over the background audit's result,
 * refresh, override and revoke through the CacheWriter, and the problems WebSocket.
 * `/problems/refresh` is registered before the wildcard routes (requirements C1).
 */
export function registerProblemsRoutes(app: FastifyInstance, context: ServerContext, feed: ProblemsFeed, sockets: SocketRegistry): void {
  const writer = new CacheWriter({ logger: context.logger });

  app.get(
    `${API_PREFIX}/problems`,
    {
      schema: {
        summary: 'Validator findings (§11.8)',
        querystring: ProblemsQuerySchema,
        response: { 200: ProblemsReportSchema, ...errors },
      },
    },
    async (request) => {
      const query = parseBody(ProblemsQuerySchema, request.query);
      let scopeDir: string | null = null;
      if (query.scope === 'project_path') scopeDir = await resolveInRoots(currentConfig(context), query.scope_value ?? '');
      const { findings, audit_at } = feed.snapshot();
      return { findings: findings.filter((finding) => matches(finding, query, scopeDir)), audit_at };
    },
  );

  app.post(
    `${API_PREFIX}/problems/refresh`,
    { schema: { summary: 'Run an audit pass now', response: { 200: ProblemsRefreshResponseSchema, 503: ErrorEnvelopeSchema } } },
    async () => {
      await feed.refresh();
      const { findings, audit_at } = feed.snapshot();
      return { audit_at, finding_count: findings.length };
    },
  );

  app.post(
    `${API_PREFIX}/problems/*`,
    {
      schema: {
        summary: 'Append an override (`<run_path>/override`) or its tombstone (`<run_path>/override/revoke`) (§11.3)',
        response: { 201: OverrideEntryResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      if (rest.endsWith('/override/revoke')) {
        const body = parseBody(OverrideRevokeRequestSchema, request.body);
        const dir = await runFolder(context, rest.slice(0, -'/override/revoke'.length));
        const entry = await writer.revokeOverride(dir, body);
        void feed.refresh().catch(() => undefined);
        return reply.code(201).send(entry);
      }
      if (rest.endsWith('/override')) {
        const body = parseBody(OverrideCreateRequestSchema, request.body);
        const dir = await runFolder(context, rest.slice(0, -'/override'.length));
        const entry = await writer.appendOverride(dir, body);
        void feed.refresh().catch(() => undefined);
        return reply.code(201).send(entry);
      }
      throw new ExLabError('route_not_found', `No route POST ${request.url.split('?')[0]}.`);
    },
  );

  app.get(
    `${API_PREFIX}/problems/events`,
    { websocket: true, schema: { summary: 'WebSocket: a snapshot, then a delta per audit pass keyed by (rule, offending_path)' } },
    (socket: WebSocket) => {
      sockets.add(socket);
      const send = (frame: ProblemsFrame): void => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
      };
      send({ kind: 'snapshot', ...feed.snapshot() });
      const stop = feed.subscribe(send);
      socket.on('close', stop);
    },
  );
}
