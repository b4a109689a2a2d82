import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { API_PREFIX, LIMITS, TRACE_ID_HEADER } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import { ZOD_COMPILERS } from './body.js';
import { registerDocsRoutes } from './docs.js';
import { installErrorHandling, replyToClientError, replyToFrameworkError } from './error-handler.js';
import { checkSetupGate } from './gate.js';
import { LimsStatus } from './lims-status.js';
import { ProblemsFeed } from './problems-feed.js';
import { registerBrowseRoutes } from './routes/browse.js';
import { registerConfigRoutes } from './routes/config.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerProblemsRoutes } from './routes/problems.js';
import { registerRootRoutes } from './routes/root.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerSetupRoutes } from './routes/setup.js';
import { checkHost, checkOrigin, checkToken } from './security.js';
import type { ServerContext } from './server-context.js';
import { SocketRegistry } from './sockets.js';
import { traceIdFor } from './trace-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Trace id of this request, echoed in `X-Trace-Id` and error bodies. */
    traceId: string;
  }
}

/** Where the OpenAPI 3.1 document and the rendered docs are served. */
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
/** The swagger-ui route prefix (assets served locally). */
export const DOCS_PATH = `${API_PREFIX}/docs`;

/** Whether Node handed this request over as an upgrade (`IncomingMessage.upgrade`, untyped in @types/node). */
function isUpgrade(request: FastifyRequest): boolean {
  return (request.raw as IncomingMessage & { upgrade?: boolean }).upgrade === true;
}

/** Destroys the socket of an upgrade request once its HTTP answer is written (an accepted upgrade never writes one). */
function closeAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const socket = request.raw.socket;
  reply.raw.once('finish', () => socket.destroy());
}

/**
 * Builds the Fastify app: trace ids, the Host allow-list, the Origin check, token auth on every
 * route but the window entry `/`, the setup gate, the error envelope, the API routes and
 * WebSockets, the background audit and the OpenAPI document. It does not listen.
 */
export async function buildServer(context: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.requestBodyMaxBytes,
    forceCloseConnections: true,
    // Absolute paths ride in URLs (`/run//abs`), so duplicate slashes must stay significant (requirements C1).
    routerOptions: { ignoreDuplicateSlashes: false },
    return503OnClosing: true,
    frameworkErrors: replyToFrameworkError,
    clientErrorHandler: replyToClientError,
    schemaController: { compilersFactory: ZOD_COMPILERS },
  });
  app.decorateRequest('traceId', '');
  /** Route patterns of the WebSocket routes: the only ones an upgrade request may reach. */
  const webSocketRoutes = new Set<string>();
  // One synchronous step for every request (no promise per hook); a refusal goes to the error envelope.
  app.addHook('onRequest', (request, reply, done) => {
    request.traceId = traceIdFor(request.headers[TRACE_ID_HEADER]);
    reply.header(TRACE_ID_HEADER, request.traceId);
    // An upgrade answered over HTTP (refused, or not a WebSocket route) ends its connection.
    const upgrade = isUpgrade(request);
    if (upgrade) closeAfterAnswer(request, reply);
    try {
      checkHost(request);
      checkOrigin(request);
      const route = request.routeOptions.url;
      const isWindowEntry = request.method === 'GET' && route === '/';
      if (!isWindowEntry) checkToken(request, context.token);
      // §4.9.2: the gate runs before Fastify parses and validates the body.
      checkSetupGate(request.method, route, context);
      if (upgrade && (route === undefined || !webSocketRoutes.has(route)))
        throw new ExLabError('route_not_found', `No WebSocket at ${request.url.split('?')[0] ?? ''}.`);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
  installErrorHandling(app, context.logger);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ExLab-Wizard API', version: context.version, description: 'Local API of the ExLab-Wizard tray (127.0.0.1 only).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  registerDocsRoutes(app, DOCS_PATH);

  const sockets = new SocketRegistry();
  const feed = new ProblemsFeed({
    getConfig: context.getConfig,
    logger: context.logger,
    intervalMs: context.audit?.intervalMs,
    clock: context.audit?.clock,
  });
  registerRootRoutes(app, context);
  const lims = new LimsStatus();
  registerHealthRoutes(app, context, { feed, lims });
  registerSetupRoutes(app, context, lims);
  registerConfigRoutes(app, context);
  // The session and problems routes, WebSockets included, get their own scope with
  // @fastify/websocket: its hooks (an onRequest and an onResponse per request) then run on those
  // routes only, not on every /health or /tree request.
  await app.register(async (scope) => {
    await scope.register(websocket, { options: { maxPayload: 64 * 1024 } });
    scope.addHook('onRoute', (route) => {
      if (route.websocket === true) webSocketRoutes.add(route.url);
    });
    registerSessionRoutes(scope, context, sockets);
    registerProblemsRoutes(scope, context, feed, sockets);
  });
  registerBrowseRoutes(app, context);
  context.registerExtraRoutes?.(app);
  // Fastify's order: stop accepting, preClose, drain, close. Open WebSockets must go in preClose.
  app.addHook('preClose', async () => {
    feed.stop();
    sockets.closeAll();
    await context.onPreClose?.();
  });
  await app.ready();
  feed.start();
  return app;
}
