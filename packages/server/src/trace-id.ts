import { randomBytes } from 'node:crypto';

const TRACE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const ID_CHARS = 12;
// Random bytes drawn 4 KiB at a time and hex-encoded in one go: one system call and one encoding
// for 680 trace ids, each then a slice of the pool (an encoding per id cost more than the rest
// of the trace-id step).
const POOL_IDS = 680;
let pool = '';
let offset = 0;

function freshId(): string {
  if (offset + ID_CHARS > pool.length) {
    pool = randomBytes((POOL_IDS * ID_CHARS) / 2).toString('hex');
    offset = 0;
  }
  offset += ID_CHARS;
  return pool.slice(offset - ID_CHARS, offset);
}

/** The caller's `X-Trace-Id` when it is a safe token, else 12 new hex characters (requirements C2). */
export function traceIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && TRACE_ID_PATTERN.test(value) ? value : freshId();
}
