import { z } from 'zod';
import { SYNC_FAILURE_KINDS, SYNC_JOB_STATES } from '../constants/index.js';
import { UtcTimestampSchema } from './time.js';

/** A row of the NAS sync queue (§7.1.2, sync requirements S1), as stored and as the API shows it. */
export const SyncJobSchema = z.strictObject({
  /** uuid4. */
  id: z.string().min(1),
  /** The published folder being pushed (absolute, unique in the queue). */
  run_path: z.string().min(1),
  equipment_id: z.string().min(1),
  /** `project` jobs push the project folder's own files, never its run folders. */
  level: z.enum(['project', 'run']),
  state: z.enum(SYNC_JOB_STATES),
  /** Failed push attempts counted against `sync.retry_attempts`. */
  attempts: z.number().int().min(0),
  last_attempt_at: UtcTimestampSchema.nullable(),
  /** Not picked up before this time (a retry's back-off, or the next re-verification). */
  next_attempt_at: UtcTimestampSchema.nullable(),
  /** The kind of the last failure; kept after a later success so the history stays visible. */
  last_error: z.enum(SYNC_FAILURE_KINDS).nullable(),
  /** What the transport or the verifier said about the last failure. */
  last_error_detail: z.string().nullable(),
  /** How many verifications confirmed every file on the NAS. */
  verify_passes: z.number().int().min(0),
  verified_at: UtcTimestampSchema.nullable(),
  enqueued_at: UtcTimestampSchema,
  /** creation.json `paths.nas`, for people to read; the transport decides where files go. */
  nas_path: z.string(),
  /** Verifications that found the NAS copy different since the job was last queued (§7.1.5: the second fails it). */
  mismatches: z.number().int().min(0),
});
/** One NAS sync job. */
export type SyncJob = z.infer<typeof SyncJobSchema>;
