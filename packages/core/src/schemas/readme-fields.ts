import { z } from 'zod';
import { FIELD_ID_PATTERN, RUN_KINDS } from '../constants/index.js';
import { CacheSchemaVersionSchema } from './creation.js';
import { UtcTimestampSchema } from './time.js';

/** A README field value: a JSON scalar (strings, ISO dates, booleans; null for an empty optional field). */
export const ReadmeFieldValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** A README field value as recorded in readme_fields.json. */
export type ReadmeFieldValue = z.infer<typeof ReadmeFieldValueSchema>;

/** Declared README fields of one layer (template or config), keyed by field id, in declaration order. */
export const ReadmeFieldLayerSchema = z.record(z.string().regex(FIELD_ID_PATTERN), ReadmeFieldValueSchema);

/** An ad-hoc field the operator added in the wizard (§11.4); the list keeps the operator's order. */
export const CustomReadmeFieldSchema = z.looseObject({
  label: z.string().min(1),
  value: z.string(),
});
/** A `custom_fields` entry. */
export type CustomReadmeField = z.infer<typeof CustomReadmeFieldSchema>;

/** The three core fields every README carries (§10.3); the creation gate bounds their length. */
export const CoreReadmeFieldsSchema = z.looseObject({
  label: z.string(),
  operator: z.string(),
  objective: z.string(),
});
/** The `core_fields` block. */
export type CoreReadmeFields = z.infer<typeof CoreReadmeFieldsSchema>;

/** Values the system fills in (§11.4); `run` and `run_kind` appear at run level only. */
export const SystemReadmeFieldsSchema = z.looseObject({
  created: UtcTimestampSchema,
  created_by: z.string().min(1),
  equipment: z.looseObject({ id: z.string().min(1), label: z.string() }),
  template: z.looseObject({ name: z.string().min(1), version: z.string().min(1) }),
  project: z.string().min(1),
  run: z.string().min(1).optional(),
  run_kind: z.enum(RUN_KINDS).optional(),
});
/** The `system_fields` block. */
export type SystemReadmeFields = z.infer<typeof SystemReadmeFieldsSchema>;

/**
 * `readme_fields.json` 1.1 (§11.4, core.md E3): the exact values written into README.md, one
 * block per field layer so tools can tell core, template, config and custom fields apart.
 */
export const ReadmeFieldsJsonSchema = z.looseObject({
  schema_version: CacheSchemaVersionSchema,
  generated_at: UtcTimestampSchema,
  core_fields: CoreReadmeFieldsSchema,
  template_fields: ReadmeFieldLayerSchema,
  config_fields: ReadmeFieldLayerSchema,
  custom_fields: z.array(CustomReadmeFieldSchema),
  system_fields: SystemReadmeFieldsSchema,
});
/** The contents of readme_fields.json. */
export type ReadmeFieldsJson = z.infer<typeof ReadmeFieldsJsonSchema>;
