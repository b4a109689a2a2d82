import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { OpenAPIV3 } from 'openapi-types';
import { ZOD_COMPILERS } from './body.js';

// Request headers the docs pages may use (conditional and range requests of the static assets).
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range'];
// Response headers of the docs app that are about the content; the outer reply sets the rest.
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'etag',
  'last-modified',
  'location',
  'content-security-policy',
  'accept-ranges',
  'content-range',
  'content-encoding',
  'vary',
];

/**
 * A Fastify app that serves only swagger-ui under `prefix`, over a fixed OpenAPI document; it
 * never listens, requests reach it through `inject`.
 */
async function buildDocsApp(prefix: string, document: OpenAPIV3.Document): Promise<FastifyInstance> {
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  const docs = Fastify({ logger: false, schemaController: { compilersFactory: ZOD_COMPILERS } });
  await docs.register(swagger, { mode: 'static', specification: { document } });
  await docs.register(swaggerUi, { routePrefix: prefix });
  await docs.ready();
  return docs;
}

/**
 * `GET <prefix>` and everything below it: the swagger-ui pages and assets. swagger-ui (with
 * @fastify/static and its globbing of the asset folder) is loaded and registered on the first
 * request, in a docs app of its own, instead of at every start of the server: it is about a
 * fifth of the tray's start and nothing else needs it. The outer routes run the app's hooks
 * (Host, Origin, token) as for any route; the docs app sees only the path and the headers above.
 */
export function registerDocsRoutes(app: FastifyInstance, prefix: string): void {
  let docs: Promise<FastifyInstance> | undefined;
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    // A 3.1 document; the plugin's types name only 2.0 and 3.0, and it serves the document unchanged.
    docs ??= buildDocsApp(prefix, app.swagger() as OpenAPIV3.Document).catch((error: unknown) => {
      docs = undefined;
      throw error;
    });
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await (await docs).inject({ method: 'GET', url: request.url, headers });
    // A missing page gets the app's own 404 (the error envelope), as every other unknown path.
    if (answer.statusCode === 404) {
      reply.callNotFound();
      return reply;
    }
    reply.code(answer.statusCode);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    return reply.send(answer.rawPayload);
  };
  app.get(prefix, { schema: { hide: true } }, handler);
  app.get(`${prefix}/*`, { schema: { hide: true } }, handler);
}
