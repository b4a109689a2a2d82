import { z } from 'zod';
import { RUN_STATES } from '../constants/index.js';
import { UtcTimestampSchema } from './time.js';

/**
 * `<state>/runs/<slug>/<run_id>/status.json` of a detached run (lifecycle.md D2, the ox_proc
 * model). Written by the launcher, finalized by whichever observer first sees the process gone.
 * Unknown keys are kept.
 */
export const RunStatusSchema = z.looseObject({
  /** `<slug>-<YYYYMMDDTHHMMSS>-<4 hex>`. */
  run_id: z.string().min(1),
  /** Kind of run, e.g. `tray`. */
  slug: z.string().min(1),
  /** running, finished (result.json written), died (no result) or killed. */
  state: z.enum(RUN_STATES),
  /** Process id of the run's group leader. */
  pid: z.number().int().positive(),
  /** Start token of that process (P4); null when it could not be read. */
  pid_start: z.string().nullable(),
  /** The command line, argv style. */
  cmd: z.array(z.string()),
  /** What the run is, for people. */
  description: z.string(),
  /** When it was launched, UTC. */
  launch_time: UtcTimestampSchema,
  /** When an observer first saw it ended, UTC; null while running. */
  observed_end_time: UtcTimestampSchema.nullable(),
  /** Ended runs are deleted this many seconds after `observed_end_time`. */
  ttl_seconds: z.number().nonnegative(),
  /** A live run older than this is killed by cleanup; null = no limit. */
  max_runtime_seconds: z.number().nonnegative().nullable(),
  /** Names (never values) of the environment variables set for the child. */
  env_update_keys: z.array(z.string()),
});
/** The content of a run's status.json. */
export type RunStatus = z.infer<typeof RunStatusSchema>;
