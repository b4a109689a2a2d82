/**
 * The §8.1 validator engine (§11.8): one rule set, two modes. Creation mode checks what a
 * creation is about to write without touching the disk; audit mode walks equipment folders
 * (and the staging root) and feeds the Problems tab and the pre-sync gate (§7.3).
 */
export { validateCreation, type CreationCheckInput, type CreationCheckOptions } from './creation-check.js';
export { checkTree, type TreeCheckInput } from './tree-check.js';
export {
  audit,
  queryProblems,
  DEFAULT_AUDIT_CONCURRENCY,
  MAX_AUDIT_WORKERS,
  type AuditScope,
  type AuditContext,
  type AuditReport,
} from './audit.js';
export type { AuditStats } from './tree-walk.js';
export { compareFindings, sortFindings } from './finding-order.js';
