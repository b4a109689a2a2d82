import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TRACE_ID_HEADER } from '@exlab/core/constants';
import { ExLabError, toErrorEnvelope } from '@exlab/core/errors';
import type { Logger } from '@exlab/core/logging';
import { traceIdFor } from './trace-id.js';

// Fastify's own request errors, mapped onto the catalogue (requirements C1: JSON parse errors are 422).
const FASTIFY_CODE_MAP: Readonly<Record<string, () => ExLabError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ExLabError('payload_too_large', 'The request body is larger than the server accepts.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ExLabError('unsupported_media_type', 'Send the request body as application/json.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ExLabError('validation_failed', 'The request body is not valid JSON.', { field: 'body' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new ExLabError('validation_failed', 'The request body is empty; send a JSON object.', { field: 'body' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new ExLabError('validation_failed', 'The Content-Length header does not match the body.', { field: 'content-length' }),
};

/** Installs the one place that turns any thrown value into the error envelope, plus the 404 handler. */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError | ExLabError | Error, request, reply) => {
    let mapped: unknown = error;
    const fastifyCode = (error as FastifyError).code;
    if (!(error instanceof ExLabError) && typeof fastifyCode === 'string') {
      const factory = FASTIFY_CODE_MAP[fastifyCode];
      if (factory) mapped = factory();
      else if (error instanceof SyntaxError)
        mapped = new ExLabError('validation_failed', 'The request body is not valid JSON.', { field: 'body' });
    }
    const { status, body } = toErrorEnvelope(mapped, request.traceId);
    if (status >= 500)
      logger.error(`request failed: ${request.method} ${request.url.split('?')[0] ?? ''}: ${error.stack ?? error.message}`, {
        trace: request.traceId,
      });
    void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toErrorEnvelope(
      new ExLabError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
      request.traceId,
    );
    void reply.code(status).send(body);
  });
}

/**
 * Fastify answers a URL it cannot decode (a malformed %-escape) before any hook runs; this gives
 * that answer the envelope and a trace id too (requirements C1: framework 400s are 422).
 */
export function replyToFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const traceId = traceIdFor(request.headers[TRACE_ID_HEADER]);
  const refusal = new ExLabError('validation_failed', 'The request URL is not valid; check its %-escapes and length.', {
    field: 'url',
    details: { reason: error.code },
  });
  const { status, body } = toErrorEnvelope(refusal, traceId);
  void reply
    .code(status)
    .header(TRACE_ID_HEADER, traceId)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

/**
 * Node's HTTP parser refuses a request it cannot read (bad framing, oversized headers) before
 * Fastify routes it; the answer still gets the envelope and a trace id, then the socket closes.
 */
export function replyToClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const traceId = traceIdFor(undefined);
  const refusal = new ExLabError('validation_failed', 'The request could not be read as HTTP/1.1.', {
    field: 'request',
    details: { reason: error.code },
  });
  const { status, body } = toErrorEnvelope(refusal, traceId);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} Unprocessable Content\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n${TRACE_ID_HEADER}: ${traceId}\r\nConnection: close\r\n\r\n${payload}`,
  );
}
