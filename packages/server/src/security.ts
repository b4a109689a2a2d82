import { timingSafeEqual } from 'node:crypto';
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
 * Compares two secrets in constant time: the presented one is written into a buffer the size of
 * the expected one and compared with `timingSafeEqual`, so the time does not depend on where the
 * first difference is nor on the presented length beyond copying it; a longer or shorter value
 * never matches. No hash per request: a SHA-256 per call was the largest part of the security hook's cost.
 */
export function tokensEqual(expected: string, presented: string): boolean {
  const { bytes, scratch } = bytesOf(expected);
  scratch.fill(0);
  scratch.write(presented, 'utf8');
  return timingSafeEqual(scratch, bytes) && Buffer.byteLength(presented, 'utf8') === bytes.length;
}

let lastExpected: { token: string; bytes: Buffer; scratch: Buffer } | null = null;

function bytesOf(token: string): { bytes: Buffer; scratch: Buffer } {
  if (lastExpected?.token !== token) {
    const bytes = Buffer.from(token, 'utf8');
    lastExpected = { token, bytes, scratch: Buffer.alloc(bytes.length) };
  }
  return lastExpected;
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

/** The allow-lists of the last port asked about (a server listens on one port, so this is computed once). */
let lastAllowed: { port: number; hosts: readonly string[]; origins: readonly string[] } | null = null;

function allowedFor(port: number): { hosts: readonly string[]; origins: readonly string[] } {
  if (lastAllowed?.port !== port) lastAllowed = { port, hosts: allowedHosts(port), origins: allowedOrigins(port) };
  return lastAllowed;
}

/** Refuses a request whose Host is not this server on loopback (403 `forbidden_host`). */
export function checkHost(request: FastifyRequest): void {
  const host = request.headers.host;
  if (host === undefined || !allowedFor(localPortOf(request)).hosts.includes(host.toLowerCase())) {
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
  if (!allowedFor(localPortOf(request)).origins.includes(origin.toLowerCase())) {
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
