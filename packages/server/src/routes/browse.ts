import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { readCreationJson } from '@exlab/core/cache';
import { API_PREFIX, RUN_KIND_FOLDER } from '@exlab/core/constants';
import { ExLabError, SetupIncompleteError } from '@exlab/core/errors';
import { equipmentDir } from '@exlab/core/paths';
import {
  ErrorEnvelopeSchema,
  FolderResponseSchema,
  RunDetailResponseSchema,
  TreeResponseSchema,
  type Config,
  type FolderResponse,
  type TreeResponse,
} from '@exlab/core/schemas';
import { resolveInRoots } from '../sandbox.js';
import type { ServerContext } from '../server-context.js';
import { SharedBuilds } from '../tree-builds.js';

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

/**
 * `join(dir, name)` for a single readdir name under an already normalised `dir`: the same string
 * without `join` re-normalising the whole path, which on a 10k-run tree was over half its cost.
 */
function childPath(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

async function treeOf(config: Config): Promise<TreeResponse> {
  const equipment = await Promise.all(
    config.equipment.map(async (entry) => {
      const path = equipmentDir(config, entry.id) ?? join(config.paths.local_root, entry.id);
      const exists = await lstat(path).then(
        (stat) => stat.isDirectory(),
        () => false,
      );
      const projects = exists
        ? await Promise.all(
            (await subdirectories(path)).map(async (name) => {
              const projectPath = childPath(path, name);
              const runs = [];
              for (const kind of ['experimental', 'test'] as const) {
                const folder = childPath(projectPath, RUN_KIND_FOLDER[kind]);
                for (const run of await subdirectories(folder)) runs.push({ name: run, path: childPath(folder, run), run_kind: kind });
              }
              return { name, path: projectPath, runs };
            }),
          )
        : [];
      return { id: entry.id, label: entry.label, path, exists, projects };
    }),
  );
  return { equipment };
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
  // Concurrent requests share builds (see SharedBuilds); the bytes go out as they are, so the
  // 200 schema documents the answer and the tests check it, instead of a re-validation per request.
  const trees = new SharedBuilds(() => treeOf(currentConfig(context)));
  app.get(
    `${API_PREFIX}/tree`,
    { schema: { summary: 'Equipment/project/run hierarchy', response: { 200: TreeResponseSchema, 503: ErrorEnvelopeSchema } } },
    async (_request, reply) => {
      currentConfig(context); // 503 setup_incomplete before anything is built
      return reply.type('application/json; charset=utf-8').send(await trees.get());
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
