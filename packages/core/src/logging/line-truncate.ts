import { LIMITS, LOG_TRUNCATION_MARKER } from '../constants/index.js';

const MARKER_BYTES = Buffer.byteLength(LOG_TRUNCATION_MARKER, 'utf8');

/**
 * Cuts `line` to at most `maxBytes` UTF-8 bytes (L4, core.md G1): a longer line keeps as many whole
 * characters as fit and ends with `...[truncated]`; the prefix is cut too when it alone is too long.
 */
export function truncateLogLine(line: string, maxBytes: number = LIMITS.logLineMaxBytes): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= maxBytes) return line;
  if (maxBytes <= MARKER_BYTES) return LOG_TRUNCATION_MARKER.slice(0, Math.max(0, maxBytes));
  let cut = maxBytes - MARKER_BYTES;
  // Never split a multi-byte character: back up to the start of the one the cut lands in.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
  return `${bytes.subarray(0, cut).toString('utf8')}${LOG_TRUNCATION_MARKER}`;
}
