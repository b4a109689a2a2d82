import { z } from 'zod';
import {
  COMPLETENESS_SIGNALS,
  CREATION_LEVELS,
  HARD_PROBLEM_CLASSES,
  LIMS_SOURCES,
  PLUGIN_STATUSES,
  RUN_KINDS,
  RUN_SCOPES,
  SYNC_STATUSES,
} from '../constants/index.js';
import { UtcTimestampSchema } from './time.js';

/**
 * A cache file's `schema_version`: `MAJOR.MINOR` at major 1, any minor (§11.9.2). Readers refuse
 * another major with `schema_major_mismatch` before the schema runs; newer minors parse.
 */
export const CacheSchemaVersionSchema = z.string().regex(/^1\.\d+$/, { message: 'expected a major-1 version like "1.9"' });

/** The LIMS project a creation belongs to (§11.3, 1.5 and 1.8). */
export const LimsProjectRefSchema = z.looseObject({
  uid: z.string().min(1),
  short_id: z.string().min(1),
  name_at_creation: z.string().min(1),
  source: z.enum(LIMS_SOURCES),
  cache_freshness_at_use: UtcTimestampSchema.nullable(),
});
/** A LIMS project reference in creation.json. */
export type LimsProjectRef = z.infer<typeof LimsProjectRefSchema>;

/** The template a creation was rendered from. */
export const TemplateRefSchema = z.looseObject({
  name: z.string().min(1),
  version: z.string().min(1),
  source_path: z.string(),
  run_scope: z.enum(RUN_SCOPES).optional(),
});
/** A template reference in creation.json. */
export type TemplateRef = z.infer<typeof TemplateRefSchema>;

/** One plugin's record in `plugins_applied` (§6.2.4), with the additive fields of requirements A13. */
export const PluginAppliedSchema = z.looseObject({
  plugin: z.string(),
  version: z.string(),
  files_affected: z.array(z.string()),
  status: z.enum(PLUGIN_STATUSES),
  isolation: z
    .looseObject({
      duration_ms: z.number().nonnegative(),
      exit_code: z.number().int().nullable(),
      peak_memory_mb: z.number().nonnegative(),
    })
    .optional(),
  error: z.string().optional(),
  crash: z.boolean().optional(),
  violations: z.array(z.string()).optional(),
});
/** A `plugins_applied` entry. */
export type PluginApplied = z.infer<typeof PluginAppliedSchema>;

/** The orchestrator block, always present since the redesign, with the 1.9 relay fields (redesign §3.3). */
export const OrchestratorBlockSchema = z.looseObject({
  enabled: z.boolean(),
  host: z.string(),
  label: z.string(),
  equipment_label: z.string().optional(),
  completeness_signal: z.enum(COMPLETENESS_SIGNALS).optional(),
  sentinel_filename: z.string().optional(),
  manifest_filename: z.string().optional(),
});
/** The orchestrator block of creation.json. */
export type OrchestratorBlock = z.infer<typeof OrchestratorBlockSchema>;

/** An operator override of a hard finding (§11.3). */
export const OverrideEntrySchema = z.looseObject({
  id: z.string().min(1),
  problem_class: z.enum(HARD_PROBLEM_CLASSES),
  operator: z.string().min(1),
  recorded_at: UtcTimestampSchema,
  reason: z.string().min(1),
  revoked: z.literal(false),
  expires_at: UtcTimestampSchema.nullable().optional(),
});
/** A tombstone revoking an earlier override by id (§11.3). */
export const TombstoneEntrySchema = z.looseObject({
  id: z.string().min(1),
  revokes: z.string().min(1),
  operator: z.string().min(1),
  recorded_at: UtcTimestampSchema,
  reason: z.string().min(1),
  revoked: z.literal(true),
});
/** An entry of the append-only `validation_overrides` list. */
export const ValidationOverrideSchema = z.discriminatedUnion('revoked', [OverrideEntrySchema, TombstoneEntrySchema]);
/** A `validation_overrides` entry. */
export type ValidationOverride = z.infer<typeof ValidationOverrideSchema>;

/**
 * creation.json in the current version's shape (§11.3; 1.9 adds the relay fields), as read from
 * disk after older minors got their defaults. `lims_project` is null only for a file first
 * written before 1.5 (no LIMS link was recorded then); `orchestrator` is null only for a file
 * written before 1.9 in single-equipment mode, where the block was absent. Unknown keys are kept.
 */
export const CreationJsonSchema = z.looseObject({
  schema_version: CacheSchemaVersionSchema,
  created_at: UtcTimestampSchema,
  created_by: z.string().min(1),
  level: z.enum(CREATION_LEVELS),
  run_kind: z.enum(RUN_KINDS),
  lims_project: LimsProjectRefSchema.nullable(),
  template: TemplateRefSchema,
  variables: z.record(z.string(), z.unknown()),
  paths: z.looseObject({ local: z.string().min(1), nas: z.string() }),
  plugins_applied: z.array(PluginAppliedSchema),
  orchestrator: OrchestratorBlockSchema.nullable(),
  sync_status: z.enum(SYNC_STATUSES),
  validation_overrides: z.array(ValidationOverrideSchema),
});
/** The contents of creation.json as a reader sees them. */
export type CreationJson = z.infer<typeof CreationJsonSchema>;

/** A creation.json as a new creation writes it: the LIMS project and the orchestrator block are always recorded now. */
export const NewCreationJsonSchema = CreationJsonSchema.extend({
  lims_project: LimsProjectRefSchema,
  orchestrator: OrchestratorBlockSchema,
});
/** The contents of a newly written creation.json. */
export type NewCreationJson = z.infer<typeof NewCreationJsonSchema>;

/** `runs.json` / `test_runs.json`: written once when the first run of a kind is created (§11.4.2-3). */
export const RunKindMarkerSchema = z.looseObject({
  schema_version: CacheSchemaVersionSchema,
  run_kind: z.enum(RUN_KINDS),
  created_at: UtcTimestampSchema,
  project: z.string(),
  equipment: z.string(),
});
/** A run-kind marker file. */
export type RunKindMarker = z.infer<typeof RunKindMarkerSchema>;

/** `equipment.json`: the equipment's registry record (§11.4.1). */
export const EquipmentJsonSchema = z.looseObject({
  schema_version: CacheSchemaVersionSchema,
  id: z.string(),
  label: z.string(),
  configured_local_root: z.string(),
  configured_nas_root: z.string(),
  first_seen_at: UtcTimestampSchema,
  last_modified_at: UtcTimestampSchema,
});
/** The contents of equipment.json. */
export type EquipmentJson = z.infer<typeof EquipmentJsonSchema>;
