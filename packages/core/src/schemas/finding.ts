import { z } from 'zod';
import { OFFENDING_KINDS, PROBLEM_CLASSES, TIERS } from '../constants/index.js';

/** One validator finding, keys in the §11.8 order (requirements H1). Compared by value. */
export const FindingSchema = z.strictObject({
  rule: z.enum(PROBLEM_CLASSES),
  tier: z.enum(TIERS),
  run_path: z.string(),
  offending_path: z.string(),
  offending_kind: z.enum(OFFENDING_KINDS),
  matched_token: z.string().nullable(),
  rule_detail: z.string(),
  synced_under_prior_policy: z.boolean(),
  override_active: z.boolean(),
});
/** A validator finding. */
export type Finding = z.infer<typeof FindingSchema>;

/** `GET /api/v1/problems` and `exlab problems --json` output. */
export const ProblemsReportSchema = z.strictObject({
  findings: z.array(FindingSchema),
  audit_at: z.string(),
});
/** A problems report. */
export type ProblemsReport = z.infer<typeof ProblemsReportSchema>;
