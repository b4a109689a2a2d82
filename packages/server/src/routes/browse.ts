import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readCreationJson } from '@exlab/core/cache';
import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError, SetupIncompleteError } from '@exlab/core/errors';
import {
  ErrorEnvelopeSchema,
  FolderResponseSchema,
  RunDetailResponseSchema,
  TreeResponseSchema,
  type Config,
  type FolderResponse,
} from '@exlab/core/schemas';
import { resolveInRoots } from '../sandbox.js';
import type { ServerContext } from '../server-context.js';
import { SharedBuilds } from '../tree-builds.js';
import { etagMatches, TreeSnapshot } from '../tree-snapshot.js';

const errors = { 403: ErrorEnvelopeSchema, 404: ErrorEnvelopeSchema, 422: ErrorEnvelopeSchema, 503: ErrorEnvelopeSchema };

/** The live config; the gate already refused a missing one, this keeps the types honest. */
export function currentConfig(context: ServerContext): Config {
  const config = context.getConfig();
  if (config === null) {
    const setup = context.getSetupStatus();
    throw new SetupIncompleteError(setup.state, setup.missing, setup.next_action);
  }
  return config;
}

async function folderOf(dir: string): Promise<FolderResponse> {
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(
    names.map(async (name) => {
      const stat = await lstat(join(dir, name)).catch(() => null);
      const kind =
        stat === null ? 'other' : stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other';
      return { name, kind, size: stat?.isFile() ? stat.size : 0, modified: (stat?.mtime ?? new Date(0)).toISOString() } as const;
    }),
  );
  return { path: dir, entries };
}

/** The browse routes (§4.6.1, requirements C11): tree, one folder, run detail; every path sandboxed to the roots. */
export function registerBrowseRoutes(app: FastifyInstance, context: ServerContext): void {
  // The tree is kept between requests and checked against the disk on each (see TreeSnapshot);
  // concurrent requests share one check (see SharedBuilds). The bytes go out as they are, so the
  // 200 schema documents the answer and the tests check it, instead of a re-validation per request.
  const snapshot = new TreeSnapshot();
  app.addHook('onClose', () => snapshot.close());
  const trees = new SharedBuilds(() => snapshot.refresh(currentConfig(context)));
  app.get(
    `${API_PREFIX}/tree`,
    {
      schema: {
        summary: 'Equipment/project/run hierarchy',
        description:
          'Reflects every folder change made before the request arrived. Carries a strong ETag; a request whose If-None-Match matches gets 304 without a body.',
        response: {
          200: TreeResponseSchema,
          304: z.null().describe('Not modified: the If-None-Match ETag is current; no body'),
          503: ErrorEnvelopeSchema,
        },
      },
    },
    async (request, reply) => {
      currentConfig(context); // 503 setup_incomplete before anything is built
      const answer = await trees.get();
      reply.header('etag', answer.etag).header('cache-control', 'no-cache');
      if (etagMatches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(answer.body);
    },
  );

  app.get(
    `${API_PREFIX}/folder/*`,
    { schema: { summary: 'Immediate contents of one folder inside the roots', response: { 200: FolderResponseSchema, ...errors } } },
    async (request) => {
      const dir = await resolveInRoots(currentConfig(context), (request.params as { '*': string })['*']);
      const stat = await lstat(dir);
      if (!stat.isDirectory()) throw new ExLabError('folder_not_found', 'The path is not a folder.', { field: 'path' });
      return folderOf(dir);
    },
  );

  app.get(
    `${API_PREFIX}/run/*`,
    { schema: { summary: 'Run detail: creation.json and README', response: { 200: RunDetailResponseSchema, ...errors } } },
    async (request) => {
      const raw = (request.params as { '*': string })['*'];
      const dir = await resolveInRoots(currentConfig(context), raw);
      let creation;
      try {
        creation = await readCreationJson(dir);
      } catch (error) {
        if (error instanceof ExLabError && error.code !== 'folder_not_found' && error.status !== 404) throw error;
        throw new ExLabError('folder_not_found', `"${raw}" is not a run folder (no readable creation.json).`, { field: 'path' });
      }
      const readme = await readFile(join(dir, 'README.md'), 'utf8').catch(() => null);
      return { path: dir, creation: creation as Record<string, unknown>, readme };
    },
  );
}
