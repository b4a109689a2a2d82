import { randomBytes } from 'node:crypto';

const TRACE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const ID_BYTES = 6;
// Random bytes drawn 4 KiB at a time: one system call for 680 trace ids instead of one each.
const POOL_BYTES = ID_BYTES * 680;
let pool = Buffer.alloc(0);
let offset = 0;

function freshId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += ID_BYTES;
  return pool.toString('hex', offset - ID_BYTES, offset);
}

/** The caller's `X-Trace-Id` when it is a safe token, else 12 new hex characters (requirements C2). */
export function traceIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && TRACE_ID_PATTERN.test(value) ? value : freshId();
}
