/** The Fastify app factory of ExLab-Wizard: REST routes, security hooks and the error envelope. */
export { buildServer } from './build-server.js';
export type { ServerContext } from './server-context.js';
export { allowedHosts, allowedOrigins, tokensEqual } from './security.js';
export { traceIdFor } from './trace-id.js';
export { parseBody } from './body.js';
