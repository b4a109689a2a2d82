import { z } from 'zod';
import { parseUtcTimestamp } from './timestamp.js';

/** A UTC timestamp string as written in cache files (accepts `Z`, an offset, or naive UTC on read). */
export const UtcTimestampSchema = z.string().refine((v) => parseUtcTimestamp(v) !== null, {
  message: 'expected a UTC timestamp like 2026-04-17T14:32:00Z',
});
