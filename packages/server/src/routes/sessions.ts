import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { fromSessionError, type Session } from '@exlab/controller';
import { API_PREFIX, WS_CLOSE } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  CancelRequestSchema,
  CreateSessionRequestSchema,
  ErrorEnvelopeSchema,
  OperationsResponseSchema,
  ResumeRequestSchema,
  SessionHandleSchema,
  SessionIdParamsSchema,
  formatUtcTimestamp,
  type Operation,
} from '@exlab/core/schemas';
import { parseBody } from '../body.js';
import type { ServerContext } from '../server-context.js';
import type { SocketRegistry } from '../sockets.js';

/** WebSocket close codes of requirements C5. */
const errors = { 404: ErrorEnvelopeSchema, 409: ErrorEnvelopeSchema, 422: ErrorEnvelopeSchema, 503: ErrorEnvelopeSchema };

function notFound(id: string): ExLabError {
  return new ExLabError('session_not_found', `No session with id "${id}".`, { field: 'id' });
}

function operationOf(session: Session): Operation {
  const request = session.request;
  const operation: Operation = {
    id: session.id,
    state: session.state,
    started_at: formatUtcTimestamp(session.createdAt),
    equipment_id: request?.equipment_id ?? null,
    project_short_id: request?.lims_project?.short_id ?? null,
    run_label: request?.kind === 'run' ? request.label : null,
  };
  if (session.pendingInput !== null) {
    operation.plugin_name = session.pendingInput.plugin;
    operation.suspended_reason = session.pendingInput.reason;
  }
  return operation;
}

/** The session routes (§4.6.1, requirements C4-C6): create, snapshot, resume, cancel, events WS, operations. */
export function registerSessionRoutes(app: FastifyInstance, context: ServerContext, sockets: SocketRegistry): void {
  app.post(
    `${API_PREFIX}/sessions`,
    { schema: { summary: 'Open a creation session', body: CreateSessionRequestSchema, response: { 201: SessionHandleSchema, ...errors } } },
    async (request, reply) => {
      const handle = await context.controller.create(parseBody(CreateSessionRequestSchema, request.body));
      // docs/decisions.md "Input errors answer 422 at once": a session the gate refused answers its error.
      if (handle.state === 'failed' && handle.error !== null) throw fromSessionError(handle.error);
      return reply.code(201).send(handle);
    },
  );

  app.get(
    `${API_PREFIX}/sessions/:id`,
    {
      schema: {
        summary: 'Session snapshot',
        params: SessionIdParamsSchema,
        response: { 200: SessionHandleSchema, 404: ErrorEnvelopeSchema },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const handle = context.controller.status(id);
      if (!handle) throw notFound(id);
      return handle;
    },
  );

  app.post(
    `${API_PREFIX}/sessions/:id/resume`,
    {
      schema: {
        summary: 'Answer the plugin prompt a session waits on',
        params: SessionIdParamsSchema,
        body: ResumeRequestSchema,
        response: { 200: SessionHandleSchema, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!context.controller.sessions.get(id)) throw notFound(id);
      const body = parseBody(ResumeRequestSchema, request.body);
      return context.controller.resume(id, body.extra_inputs);
    },
  );

  app.post(
    `${API_PREFIX}/sessions/:id/cancel`,
    {
      schema: {
        summary: 'Cancel a session (always ends aborted)',
        params: SessionIdParamsSchema,
        body: CancelRequestSchema,
        response: { 200: SessionHandleSchema, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const session = context.controller.sessions.get(id);
      if (!session) throw notFound(id);
      if (session.state === 'done' || session.state === 'failed')
        throw new ExLabError('session_already_completed', `Session ${id} has already ended ${session.state}.`, { field: 'id' });
      const body = parseBody(CancelRequestSchema, request.body);
      return context.controller.cancel(id, { discardFiles: body.discard_files });
    },
  );

  app.get(
    `${API_PREFIX}/operations`,
    {
      schema: {
        summary: 'In-flight and failed operations, oldest first',
        response: { 200: OperationsResponseSchema, 503: ErrorEnvelopeSchema },
      },
    },
    async () => ({
      operations: context.controller.sessions
        .list()
        .filter((session) => session.state !== 'done' && session.state !== 'aborted')
        .map(operationOf),
    }),
  );

  app.get(
    `${API_PREFIX}/sessions/:id/events`,
    { websocket: true, schema: { summary: 'WebSocket: the session frames, replayed then live (§4.6.2)', params: SessionIdParamsSchema } },
    (socket: WebSocket, request) => {
      const { id } = request.params as { id: string };
      sockets.add(socket);
      if (!context.controller.sessions.get(id)) {
        socket.close(WS_CLOSE.unknownSession, 'unknown session');
        return;
      }
      // Each connection is its own subscriber: the whole log, then live frames (requirements C5).
      const frames = context.controller.subscribe(id);
      let open = true;
      socket.on('close', () => {
        open = false;
        void frames.return?.();
      });
      socket.on('message', () => context.controller.sessions.heartbeat(id));
      void (async () => {
        for await (const frame of frames) {
          if (!open) return;
          socket.send(JSON.stringify(frame));
        }
        if (!open) return;
        const state = context.controller.sessions.get(id)?.state;
        socket.close(WS_CLOSE.normal, state === 'aborted' ? 'aborted' : (state ?? ''));
      })().catch(() => {
        if (open) socket.close(WS_CLOSE.noController, 'internal error');
      });
    },
  );
}
