import Fastify, { type FastifyInstance } from 'fastify';
import { LIMITS, TRACE_ID_HEADER } from '@exlab/core/constants';
import { installErrorHandling, replyToFrameworkError } from './error-handler.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerRootRoutes } from './routes/root.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerSetupRoutes } from './routes/setup.js';
import { checkHost, checkOrigin, checkToken } from './security.js';
import type { ServerContext } from './server-context.js';
import { traceIdFor } from './trace-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Trace id of this request, echoed in `X-Trace-Id` and error bodies. */
    traceId: string;
  }
}

/**
 * Builds the Fastify app: trace ids, the Host allow-list, the Origin check, token auth on every
 * route but the window entry `/`, the error envelope, and the API routes. It does not listen.
 */
export async function buildServer(context: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.requestBodyMaxBytes,
    forceCloseConnections: true,
    // Absolute paths ride in URLs later (`/run//abs`), so duplicate slashes must stay significant (requirements C1).
    routerOptions: { ignoreDuplicateSlashes: false },
    return503OnClosing: true,
    frameworkErrors: replyToFrameworkError,
  });
  app.decorateRequest('traceId', '');
  app.addHook('onRequest', async (request, reply) => {
    request.traceId = traceIdFor(request.headers[TRACE_ID_HEADER]);
    reply.header(TRACE_ID_HEADER, request.traceId);
    checkHost(request);
    checkOrigin(request);
    const isWindowEntry = request.method === 'GET' && request.routeOptions.url === '/';
    if (!isWindowEntry) checkToken(request, context.token);
  });
  installErrorHandling(app, context.logger);
  registerRootRoutes(app, context);
  registerHealthRoutes(app, context);
  registerSetupRoutes(app, context);
  registerSessionRoutes(app, context);
  context.registerExtraRoutes?.(app);
  // Fastify's order: stop accepting, preClose, drain, close. Open WebSockets must go in preClose.
  app.addHook('preClose', async () => {
    await context.onPreClose?.();
  });
  await app.ready();
  return app;
}
