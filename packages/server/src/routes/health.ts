import type { FastifyInstance } from 'fastify';
import { API_PREFIX, SCHEMA_VERSIONS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import type { PluginHostStatus } from '@exlab/controller';
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

/** The warn a probe that throws is reported as (requirements C7). */
function failedProbe(name: string, error: unknown): Component {
  return { status: 'warn', reason: `the ${name} probe failed: ${describeError(error)}` };
}

/** Runs one synchronous component probe; a probe that throws is reported as warn with its message. */
function probe(name: string, read: () => Component): Component {
  try {
    return read();
  } catch (error) {
    return failedProbe(name, error);
  }
}

/** Runs a probe that may answer now or later; a throw or a rejection is reported as warn. */
function probeSoon(name: string, read: () => Component | Promise<Component>): Component | Promise<Component> {
  try {
    const answer = read();
    return answer instanceof Promise ? answer.catch((error: unknown) => failedProbe(name, error)) : answer;
  } catch (error) {
    return failedProbe(name, error);
  }
}

function pluginHostComponent(plugins: PluginHostStatus | null): Component {
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
}

/**
 * `GET /api/v1/health`: the component rollup, always 200; the top-level status is the worst
 * component's (§4.6.3, C7). Every probe is read on every call; the ones that can answer at once
 * do (no promise per probe), and only the plugin host and a stale catalogue check are awaited.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext, sources: HealthSources): void {
  app.get(`${API_PREFIX}/health`, async (): Promise<Health> => {
    const setup = context.getSetupStatus();
    const { controller } = context;
    const config = context.getConfig();
    // Both asked first so that their waits overlap; the synchronous probes run meanwhile.
    const lims = probeSoon('lims', () => sources.lims.health(config));
    const pluginHost = probeSoon('plugin_host', () => controller.pluginHostStatus().then(pluginHostComponent));
    const sessionStore = probe('session_store', () => ({
      status: 'ok',
      active_sessions: controller.sessions.activeCount(),
      input_required: controller.sessions.inputRequiredCount(),
      // §4.8: temporary folders of creations interrupted by a crash, removed at start.
      interrupted_creations: controller.interruptedCreations.map((swept) => swept.path),
    }));
    const configComponent = probe('config', () =>
      config === null
        ? { status: 'warn', reason: 'no configuration loaded; finish setup in Settings' }
        : { status: 'ok', path: context.configPath ?? null },
    );
    const validator = probe('validator', () => sources.feed.health());
    const nasSync = probe('nas_sync', () => {
      const queue = controller.syncQueueStats();
      return queue === null
        ? { status: 'ok', enabled: false, queue_depth: 0, in_flight: 0, reason: 'no NAS sync is attached; finished runs stay pending' }
        : { status: 'ok', enabled: true, ...queue };
    });
    const parts = [
      sessionStore,
      configComponent,
      validator,
      lims instanceof Promise ? await lims : lims,
      pluginHost instanceof Promise ? await pluginHost : pluginHost,
      nasSync,
    ] as const;
    let status: HealthLevel = 'ok';
    for (const part of parts) if (RANK[part.status] > RANK[status]) status = part.status;
    const components: Health['components'] = {
      session_store: parts[0],
      config: parts[1],
      validator: parts[2],
      lims: parts[3],
      plugin_host: parts[4],
      nas_sync: parts[5],
    };
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
