import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '@exlab/core/constants';
import type { SetupStatus } from '@exlab/core/schemas';
import type { ServerContext } from '../server-context.js';

/** `GET /api/v1/setup/status` (§4.9.3): always available. */
export function registerSetupRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(`${API_PREFIX}/setup/status`, async (): Promise<SetupStatus> => context.getSetupStatus());
}
