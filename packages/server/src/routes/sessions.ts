import type { FastifyInstance } from 'fastify';
import { fromSessionError } from '@exlab/controller';
import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError, SetupIncompleteError } from '@exlab/core/errors';
import { CreateSessionRequestSchema } from '@exlab/core/schemas';
import { parseBody } from '../body.js';
import type { ServerContext } from '../server-context.js';

/** The session routes: create (gated, refused while shutting down) and snapshot. */
export function registerSessionRoutes(app: FastifyInstance, context: ServerContext): void {
  // §4.9.2: the setup gate runs before body validation, and Fastify parses the body before the
  // handler runs, so the gate is an onRequest hook (after the token check); LIMS unreachable does
  // not gate (§4.9.4).
  const gate = async (): Promise<void> => {
    if (context.isShuttingDown()) throw new ExLabError('shutting_down', 'ExLab-Wizard is shutting down and takes no new sessions.');
    const setup = context.getSetupStatus();
    if (setup.state !== 'ready' && setup.state !== 'incomplete_lims_unreachable') {
      throw new SetupIncompleteError(setup.state, setup.missing, setup.next_action);
    }
  };

  app.post(`${API_PREFIX}/sessions`, { onRequest: gate }, async (request, reply) => {
    const body = parseBody(CreateSessionRequestSchema, request.body);
    const handle = await context.controller.create(body);
    // docs/decisions.md "Input errors answer 422 at once": the controller ends a session the gate
    // refuses failed (requirements B3); the API answers its error with the catalogue status
    // (422, 409 destination_exists) so a client learns the problem without a WebSocket.
    if (handle.state === 'failed' && handle.error !== null) throw fromSessionError(handle.error);
    return reply.code(201).send(handle);
  });

  app.get<{ Params: { id: string } }>(`${API_PREFIX}/sessions/:id`, async (request) => {
    const handle = context.controller.status(request.params.id);
    if (!handle) throw new ExLabError('session_not_found', `No session with id "${request.params.id}".`, { field: 'id' });
    return handle;
  });
}
