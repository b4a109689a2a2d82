import type { FastifyInstance } from 'fastify';
import { API_PREFIX, SCHEMA_VERSIONS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import type { Health, HealthLevel } from '@exlab/core/schemas';
import type { LimsStatus } from '../lims-status.js';
import type { ProblemsFeed } from '../problems-feed.js';
import type { ServerContext } from '../server-context.js';

const RANK: Record<HealthLevel, number> = { ok: 0, warn: 1, error: 2 };

type Component = Health['components'][string];

/** What health reads besides the context: the background audit and the LIMS state. */
export interface HealthSources {
  feed: ProblemsFeed;
  lims: LimsStatus;
}

/** Runs one component probe; a probe that throws is reported as warn with its message (requirements C7). */
async function probe(name: string, read: () => Component | Promise<Component>): Promise<[string, Component]> {
  try {
    return [name, await read()];
  } catch (error) {
    return [name, { status: 'warn', reason: `the ${name} probe failed: ${describeError(error)}` }];
  }
}

/** `GET /api/v1/health`: the component rollup, always 200; the top-level status is the worst component's (§4.6.3, C7). */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext, sources: HealthSources): void {
  app.get(`${API_PREFIX}/health`, async (): Promise<Health> => {
    const setup = context.getSetupStatus();
    const { controller } = context;
    const config = context.getConfig();
    const entries = await Promise.all([
      probe('session_store', () => ({
        status: 'ok',
        active_sessions: controller.sessions.activeCount(),
        input_required: controller.sessions.inputRequiredCount(),
        // §4.8: temporary folders of creations interrupted by a crash, removed at start.
        interrupted_creations: controller.interruptedCreations.map((swept) => swept.path),
      })),
      probe('config', () =>
        config === null
          ? { status: 'warn', reason: 'no configuration loaded; finish setup in Settings' }
          : { status: 'ok', path: context.configPath ?? null },
      ),
      probe('validator', () => sources.feed.health()),
      probe('lims', () => sources.lims.health(config)),
      probe('plugin_host', async () => {
        const plugins = await controller.pluginHostStatus();
        if (plugins === null) return { status: 'ok', registered_plugins: null, reason: 'the plugin host does not report its registry' };
        const rejected = plugins.rejected.length;
        return {
          status: rejected > 0 ? 'warn' : 'ok',
          ...(rejected > 0
            ? { reason: `${rejected} plugin folder(s) rejected: ${plugins.rejected.map((r) => `${r.dir} (${r.code})`).join(', ')}` }
            : {}),
          registered_plugins: plugins.registered_plugins,
          rejected_plugins: rejected,
          live_workers: plugins.live_workers,
        };
      }),
      probe('nas_sync', () => {
        const queue = controller.syncQueueStats();
        if (queue === null) {
          return {
            status: 'ok',
            enabled: false,
            queue_depth: 0,
            in_flight: 0,
            reason: 'no NAS sync is attached; finished runs stay pending',
          };
        }
        const { error, ...sizes } = queue;
        if (error !== undefined) return { status: 'error', enabled: true, ...sizes, reason: `the NAS sync queue cannot be used: ${error}` };
        const failed = sizes.failed ?? 0;
        // A failed job needs an operator (Problems: Retry), but the rest of the queue still moves.
        return failed > 0
          ? {
              status: 'warn',
              enabled: true,
              ...sizes,
              reason: `${failed} NAS sync job${failed === 1 ? '' : 's'} failed; app.log says why`,
            }
          : { status: 'ok', enabled: true, ...sizes };
      }),
    ]);
    const components = Object.fromEntries(entries);
    let status: HealthLevel = 'ok';
    for (const component of Object.values(components)) if (RANK[component.status] > RANK[status]) status = component.status;
    return {
      status,
      version: context.version,
      instance_id: context.instanceId,
      schema_versions: {
        creation_json: SCHEMA_VERSIONS.creation_json,
        readme_fields_json: SCHEMA_VERSIONS.readme_fields_json,
        ingest_json: SCHEMA_VERSIONS.ingest_json,
      },
      components,
      setup_state: setup.state,
    };
  });
}
