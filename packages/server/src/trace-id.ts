import { randomBytes } from 'node:crypto';

const TRACE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `X-Trace-Id` when it is a safe token, else 12 new hex characters (requirements C2). */
export function traceIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && TRACE_ID_PATTERN.test(value) ? value : randomBytes(6).toString('hex');
}
