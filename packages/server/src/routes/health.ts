import type { FastifyInstance } from 'fastify';
import { API_PREFIX, SCHEMA_VERSIONS } from '@exlab/core/constants';
import type { Health, HealthLevel } from '@exlab/core/schemas';
import type { ServerContext } from '../server-context.js';

const RANK: Record<HealthLevel, number> = { ok: 0, warn: 1, error: 2 };

/** `GET /api/v1/health`: the component rollup, always 200 (§4.6.3). */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(`${API_PREFIX}/health`, async (): Promise<Health> => {
    const setup = context.getSetupStatus();
    const sessions = context.controller.sessions;
    const components: Health['components'] = {
      session_store: {
        status: 'ok',
        active_sessions: sessions.activeCount(),
        input_required: sessions.inputRequiredCount(),
        // §4.8: temporary folders of creations interrupted by a crash, removed at start.
        interrupted_creations: context.controller.interruptedCreations.map((swept) => swept.path),
      },
      config:
        context.getConfig() === null
          ? { status: 'warn', reason: 'no configuration loaded; finish setup in Settings' }
          : { status: 'ok', path: context.configPath ?? null },
    };
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
