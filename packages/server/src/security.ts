import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { TOKEN_COOKIE_NAME } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';

/** The Host values this server answers to: loopback by address or name, on its own port (DNS-rebinding guard). */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** The Origins allowed to change state or open a WebSocket. */
export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((host) => `http://${host}`);
}

/**
 * Compares two secrets in constant time. Both are hashed first, so the comparison takes the same
 * time whatever the presented length; the expected token's digest is kept between calls.
 */
export function tokensEqual(expected: string, presented: string): boolean {
  return timingSafeEqual(digestOf(expected), createHash('sha256').update(presented).digest());
}

let lastExpected: { token: string; digest: Buffer } | null = null;

function digestOf(token: string): Buffer {
  if (lastExpected?.token !== token) lastExpected = { token, digest: createHash('sha256').update(token).digest() };
  return lastExpected.digest;
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index === -1) continue;
    if (part.slice(0, index).trim() === name) return decodeCookieValue(part.slice(index + 1).trim());
  }
  return undefined;
}

// A malformed %-escape is a wrong token (401), not a server error.
function decodeCookieValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The token a request presents: `Authorization: Bearer <token>` or the window's cookie. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match?.[1];
  }
  return readCookie(request.headers.cookie, TOKEN_COOKIE_NAME);
}

/** The local port a request arrived on. */
export function localPortOf(request: FastifyRequest): number {
  return request.socket.localPort ?? 0;
}

/** Refuses a request whose Host is not this server on loopback (403 `forbidden_host`). */
export function checkHost(request: FastifyRequest): void {
  const host = request.headers.host;
  if (host === undefined || !allowedHosts(localPortOf(request)).includes(host.toLowerCase())) {
    throw new ExLabError('forbidden_host', `Host "${host ?? ''}" is not allowed; use http://127.0.0.1:${localPortOf(request)}/.`, {
      field: 'host',
    });
  }
}

/** Refuses a state-changing or upgrade request from a foreign Origin (403 `forbidden_origin`); requests without Origin (scripts) pass. */
export function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  const stateChanging = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
  const upgrade = request.headers.upgrade !== undefined;
  if (origin === undefined || (!stateChanging && !upgrade)) return;
  if (!allowedOrigins(localPortOf(request)).includes(origin.toLowerCase())) {
    throw new ExLabError('forbidden_origin', `Origin "${origin}" may not call this server.`, { field: 'origin' });
  }
}

/** Refuses a request without the per-launch token (401 `unauthorized`). */
export function checkToken(request: FastifyRequest, token: string): void {
  const presented = presentedToken(request);
  if (presented === undefined || !tokensEqual(token, presented)) {
    throw new ExLabError(
      'unauthorized',
      'A valid per-launch token is required: send "Authorization: Bearer <token>" with the token from server.json.',
    );
  }
}
