import { z } from 'zod';
import { RUN_KINDS, STAGING_TRANSPORT_TYPES } from '../constants/index.js';
import { CacheSchemaVersionSchema } from './creation.js';
import { UtcTimestampSchema } from './time.js';

/** Lifecycle states of a staged run, in the only order they may be reached (§13.3). */
export const INGEST_STATES = ['staging', 'complete', 'sync_queued', 'sync_verified', 'cleared'] as const;
/** A staged run's lifecycle state. */
export type IngestState = (typeof INGEST_STATES)[number];

/** One step of the lifecycle history; `complete` and `sync_verified` may carry the §13.4 details. */
export const IngestHistoryEntrySchema = z.looseObject({
  state: z.enum(INGEST_STATES),
  at: UtcTimestampSchema,
  host: z.string().min(1),
  files_received: z.number().int().nonnegative().optional(),
  bytes_received: z.number().int().nonnegative().optional(),
  nas_path: z.string().min(1).optional(),
  checksum_file: z.string().min(1).optional(),
});
/** A `history` entry of ingest.json. */
export type IngestHistoryEntry = z.infer<typeof IngestHistoryEntrySchema>;

/**
 * `ingest.json` 1.1 (§13.4, core.md F8): the orchestrator's record of a staged run. The history
 * is append-only and moves strictly forward through {@link INGEST_STATES}; `current_state` is
 * its last state.
 */
export const IngestJsonSchema = z
  .looseObject({
    schema_version: CacheSchemaVersionSchema,
    project_name: z.string().min(1),
    equipment_id: z.string().min(1),
    run_kind: z.enum(RUN_KINDS),
    run_path: z.string().min(1),
    transport: z.enum(STAGING_TRANSPORT_TYPES),
    current_state: z.enum(INGEST_STATES),
    history: z.array(IngestHistoryEntrySchema).min(1),
  })
  .superRefine((document, context) => {
    const ranks = document.history.map((entry) => INGEST_STATES.indexOf(entry.state));
    ranks.forEach((rank, index) => {
      const previous = ranks[index - 1];
      if (previous !== undefined && rank <= previous) {
        context.addIssue({
          code: 'custom',
          path: ['history', index, 'state'],
          message: `states only move forward (${INGEST_STATES.join(' -> ')}); "${document.history[index]?.state}" cannot follow "${INGEST_STATES[previous]}"`,
        });
      }
    });
    const last = document.history.at(-1);
    if (last !== undefined && last.state !== document.current_state) {
      context.addIssue({
        code: 'custom',
        path: ['current_state'],
        message: `current_state must be the last history state "${last.state}"`,
      });
    }
  });
/** The contents of ingest.json. */
export type IngestJson = z.infer<typeof IngestJsonSchema>;
