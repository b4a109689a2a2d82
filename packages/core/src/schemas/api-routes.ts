import { z } from 'zod';
import { HARD_PROBLEM_CLASSES, PROBLEM_CLASSES, SESSION_STATES, TIERS } from '../constants/index.js';
import { FindingSchema } from './finding.js';

// Wire schemas of the API routes beyond session creation (requirements C4-C11). Browser-safe:
// the server validates and serialises with them, the OpenAPI document and the typed client derive from them.

/** The error envelope every refusal carries (§8, requirements C2). */
export const ErrorEnvelopeSchema = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    trace_id: z.string(),
  }),
});
/** An error envelope. */
export type ErrorEnvelopeBody = z.infer<typeof ErrorEnvelopeSchema>;

/** Path parameter of the session routes. */
export const SessionIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

/** `POST /sessions/:id/resume` body (requirements C4). */
export const ResumeRequestSchema = z.strictObject({ extra_inputs: z.record(z.string(), z.unknown()).default({}) });
/** A resume request. */
export type ResumeRequest = z.input<typeof ResumeRequestSchema>;

/** `POST /sessions/:id/cancel` body (§4.6.1): `discard_files` true deletes the partial tree. */
export const CancelRequestSchema = z.strictObject({ discard_files: z.boolean().default(false) });
/** A cancel request. */
export type CancelRequest = z.input<typeof CancelRequestSchema>;

/** One entry of `GET /operations` (§4.6.1, requirements C6). */
export const OperationSchema = z.object({
  id: z.string(),
  state: z.enum(SESSION_STATES),
  started_at: z.string(),
  equipment_id: z.string().nullable(),
  project_short_id: z.string().nullable(),
  run_label: z.string().nullable(),
  plugin_name: z.string().optional(),
  suspended_reason: z.string().optional(),
});
/** An operation. */
export type Operation = z.infer<typeof OperationSchema>;

/** `GET /operations` response: in-flight and failed sessions, oldest first. */
export const OperationsResponseSchema = z.object({ operations: z.array(OperationSchema) });
/** An operations list. */
export type OperationsResponse = z.infer<typeof OperationsResponseSchema>;

/** Scopes of `GET /problems` (§11.8). */
export const PROBLEM_SCOPES = ['all', 'equipment_id', 'project_path'] as const;

/** `GET /problems` query (requirements C10); `scope_value` is required for a scope other than `all`. */
export const ProblemsQuerySchema = z
  .strictObject({
    scope: z.enum(PROBLEM_SCOPES).default('all'),
    scope_value: z.string().min(1).max(4096).optional(),
    severity: z.enum(TIERS).optional(),
    class: z.enum(PROBLEM_CLASSES).optional(),
  })
  .refine((query) => query.scope === 'all' || query.scope_value !== undefined, {
    message: 'scope_value is required for this scope',
    path: ['scope_value'],
  });
/** A problems query. */
export type ProblemsQuery = z.input<typeof ProblemsQuerySchema>;

/** `POST /problems/refresh` response. */
export const ProblemsRefreshResponseSchema = z.object({ audit_at: z.string(), finding_count: z.number().int().nonnegative() });
/** A refresh answer. */
export type ProblemsRefreshResponse = z.infer<typeof ProblemsRefreshResponseSchema>;

const reasonText = z.string().trim().min(10).max(500);

/** `POST /problems/<run_path>/override` body (§11.3). */
export const OverrideCreateRequestSchema = z.strictObject({
  problem_class: z.enum(HARD_PROBLEM_CLASSES),
  reason: reasonText,
  operator: z.string().trim().min(1).max(128),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
/** An override request. */
export type OverrideCreateRequest = z.input<typeof OverrideCreateRequestSchema>;

/** `POST /problems/<run_path>/override/revoke` body (§11.3 tombstone). */
export const OverrideRevokeRequestSchema = z.strictObject({
  revokes: z.string().min(1).max(128),
  reason: reasonText,
  operator: z.string().trim().min(1).max(128),
});
/** A revocation request. */
export type OverrideRevokeRequest = z.input<typeof OverrideRevokeRequestSchema>;

/** The override or tombstone entry appended (201). */
export const OverrideEntryResponseSchema = z.record(z.string(), z.unknown());

/** Problems WS frame: the whole finding set (on connect, and after a config change). */
export const ProblemsSnapshotFrameSchema = z.strictObject({
  kind: z.literal('snapshot'),
  audit_at: z.string(),
  findings: z.array(FindingSchema),
});
/** Problems WS frame: findings added and removed since the last frame, keyed by (rule, offending_path). */
export const ProblemsDeltaFrameSchema = z.strictObject({
  kind: z.literal('delta'),
  audit_at: z.string(),
  added: z.array(FindingSchema),
  removed: z.array(z.strictObject({ rule: z.enum(PROBLEM_CLASSES), offending_path: z.string() })),
});
/** Every problems WS frame. */
export const ProblemsFrameSchema = z.discriminatedUnion('kind', [ProblemsSnapshotFrameSchema, ProblemsDeltaFrameSchema]);
/** A problems WS frame. */
export type ProblemsFrame = z.infer<typeof ProblemsFrameSchema>;

/** A run in `GET /tree`. */
export const TreeRunSchema = z.object({ name: z.string(), path: z.string(), run_kind: z.enum(['experimental', 'test']) });
/** A project in `GET /tree`. */
export const TreeProjectSchema = z.object({ name: z.string(), path: z.string(), runs: z.array(TreeRunSchema) });
/** An equipment folder in `GET /tree`. */
export const TreeEquipmentSchema = z.object({
  id: z.string(),
  label: z.string(),
  path: z.string(),
  exists: z.boolean(),
  projects: z.array(TreeProjectSchema),
});
/** `GET /tree` response: the equipment/project/run hierarchy (§4.6.1). */
export const TreeResponseSchema = z.object({ equipment: z.array(TreeEquipmentSchema) });
/** A browse tree. */
export type TreeResponse = z.infer<typeof TreeResponseSchema>;

/** One entry of `GET /folder/*`. */
export const FolderEntrySchema = z.object({
  name: z.string(),
  kind: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().int().nonnegative(),
  modified: z.string(),
});
/** `GET /folder/*` response: the immediate contents of one folder inside the roots. */
export const FolderResponseSchema = z.object({ path: z.string(), entries: z.array(FolderEntrySchema) });
/** A folder listing. */
export type FolderResponse = z.infer<typeof FolderResponseSchema>;

/** `GET /run/*` response: run detail (template, operator, sync status, run kind, README). */
export const RunDetailResponseSchema = z.object({
  path: z.string(),
  creation: z.record(z.string(), z.unknown()),
  readme: z.string().nullable(),
});
/** A run detail. */
export type RunDetailResponse = z.infer<typeof RunDetailResponseSchema>;

/** `POST /setup/test-lims` body: probe the configured LIMS, or the one supplied. */
export const TestLimsRequestSchema = z.strictObject({
  lims: z.strictObject({ endpoint: z.string().max(2048), email: z.string().max(320).optional() }).optional(),
  password: z.string().max(1024).optional(),
});
/** `POST /setup/test-equipment` body: a configured id or an entry to try. */
export const TestEquipmentRequestSchema = z.strictObject({
  equipment_id: z.string().min(1).max(64).optional(),
  equipment: z.record(z.string(), z.unknown()).optional(),
});
/** Answer of the setup probes; always 200 (requirements C8). */
export const ProbeResultSchema = z.object({ ok: z.boolean(), reason: z.string().optional(), latency_ms: z.number().optional() });
/** A probe result. */
export type ProbeResult = z.infer<typeof ProbeResultSchema>;
