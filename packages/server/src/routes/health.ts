import type { FastifyInstance } from 'fastify';
import { API_PREFIX, SCHEMA_VERSIONS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import type { PluginHostStatus } from '@exlab/controller';
import { HealthSchema, type Config, type Health, type HealthLevel } from '@exlab/core/schemas';
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

/** Runs one synchronous probe (a module function, so no closure per request); a throw is reported as warn. */
function probe<A>(name: string, read: (arg: A) => Component, arg: A): Component {
  try {
    return read(arg);
  } catch (error) {
    return failedProbe(name, error);
  }
}

function sessionStoreComponent(controller: ServerContext['controller']): Component {
  return {
    status: 'ok',
    active_sessions: controller.sessions.activeCount(),
    input_required: controller.sessions.inputRequiredCount(),
    // §4.8: temporary folders of creations interrupted by a crash, removed at start.
    interrupted_creations: controller.interruptedCreations.map((swept) => swept.path),
  };
}

function configComponent(context: ServerContext): Component {
  return context.getConfig() === null
    ? { status: 'warn', reason: 'no configuration loaded; finish setup in Settings' }
    : { status: 'ok', path: context.configPath ?? null };
}

function validatorComponent(feed: ProblemsFeed): Component {
  return feed.health();
}

function nasSyncComponent(controller: ServerContext['controller']): Component {
  const queue = controller.syncQueueStats();
  if (queue === null) {
    return { status: 'ok', enabled: false, queue_depth: 0, in_flight: 0, reason: 'no NAS sync is attached; finished runs stay pending' };
  }
  const { error, ...sizes } = queue;
  if (error !== undefined) return { status: 'error', enabled: true, ...sizes, reason: `the NAS sync queue cannot be used: ${error}` };
  const failed = sizes.failed ?? 0;
  // A failed job needs an operator, but the rest of the queue still moves.
  return failed > 0
    ? { status: 'warn', enabled: true, ...sizes, reason: `${failed} NAS sync job${failed === 1 ? '' : 's'} failed; app.log says why` }
    : { status: 'ok', enabled: true, ...sizes };
}

/** The LIMS component: at once, unless the offline catalogue needs a fresh readability check. */
function limsComponent(lims: LimsStatus, config: Config | null): Component | Promise<Component> {
  try {
    const answer = lims.health(config);
    return answer instanceof Promise ? answer.catch((error: unknown) => failedProbe('lims', error)) : answer;
  } catch (error) {
    return failedProbe('lims', error);
  }
}

function pluginHostOf(plugins: PluginHostStatus | null): Component {
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

/** The plugin host component: at once once the registry was read, else when it is. */
function pluginHostComponent(controller: ServerContext['controller']): Component | Promise<Component> {
  try {
    const plugins = controller.pluginHostStatus();
    return plugins instanceof Promise
      ? plugins.then(pluginHostOf, (error: unknown) => failedProbe('plugin_host', error))
      : pluginHostOf(plugins);
  } catch (error) {
    return failedProbe('plugin_host', error);
  }
}

function worse(level: HealthLevel, component: Component): HealthLevel {
  return RANK[component.status] > RANK[level] ? component.status : level;
}

/**
 * `GET /api/v1/health`: the component rollup, always 200; the top-level status is the worst
 * component's (§4.6.3, C7). Every probe is read on every call; the ones that can answer at once
 * do, and only a first read of the plugin registry (and the catalogue check, once a second) is
 * awaited.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext, sources: HealthSources): void {
  const schemaVersions = {
    creation_json: SCHEMA_VERSIONS.creation_json,
    readme_fields_json: SCHEMA_VERSIONS.readme_fields_json,
    ingest_json: SCHEMA_VERSIONS.ingest_json,
  };
  // Not an async function: when every probe answers at once (the usual poll) so does the route,
  // and Fastify sends the answer without a promise in between. The 200 schema documents the
  // answer (OpenAPI, and the tests check it); the answer is built from typed parts, so it goes out
  // with JSON.stringify instead of a schema check per poll.
  const healthRoute = {
    schema: { summary: 'Component rollup of the tray (always 200)', response: { 200: HealthSchema } },
    serializerCompiler: () => (answer: unknown) => JSON.stringify(answer),
  };
  app.get(`${API_PREFIX}/health`, healthRoute, (): Health | Promise<Health> => {
    const setup = context.getSetupStatus();
    const { controller } = context;
    const pluginHost = pluginHostComponent(controller);
    const lims = limsComponent(sources.lims, context.getConfig());
    const sessionStore = probe('session_store', sessionStoreComponent, controller);
    const config = probe('config', configComponent, context);
    const validator = probe('validator', validatorComponent, sources.feed);
    const nasSync = probe('nas_sync', nasSyncComponent, controller);
    const answer = (limsNow: Component, pluginHostNow: Component): Health => {
      const components: Health['components'] = {
        session_store: sessionStore,
        config,
        validator,
        lims: limsNow,
        plugin_host: pluginHostNow,
        nas_sync: nasSync,
      };
      let status: HealthLevel = 'ok';
      for (const name in components) {
        const component = components[name];
        if (component !== undefined) status = worse(status, component);
      }
      return {
        status,
        version: context.version,
        instance_id: context.instanceId,
        schema_versions: schemaVersions,
        components,
        setup_state: setup.state,
      };
    };
    if (lims instanceof Promise || pluginHost instanceof Promise)
      return Promise.all([lims, pluginHost]).then(([limsNow, pluginHostNow]) => answer(limsNow, pluginHostNow));
    return answer(lims, pluginHost);
  });
}
