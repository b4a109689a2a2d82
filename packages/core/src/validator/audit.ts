import { normalize, resolve } from 'node:path';
import { equipmentDir } from '../paths/index.js';
import { formatUtcTimestamp, type Config, type Finding, type ProblemsReport } from '../schemas/index.js';
import { contentScanLimits } from './content-scan.js';
import { sortFindings } from './finding-order.js';
import { RequiredFieldResolver } from './required-fields.js';
import { TreeWalk, rootVisit, type AuditStats } from './tree-walk.js';

/** What an audit covers (§11.8 `query_problems(scope)`, core.md H12). */
export type AuditScope =
  | { kind: 'all' }
  | { kind: 'equipment_id'; value: string }
  /** One `<equipment>/<project>` folder; its parent is taken as the equipment folder. */
  | { kind: 'project_path'; value: string };

/** What an audit reads besides the tree. */
export interface AuditContext {
  config: Config;
  /** Clock for override expiry and `audit_at`; defaults to the current time. */
  now?: Date;
  /** Scope `all` includes the staging root (when it exists); default true. */
  staging?: boolean;
  /** Folders worked on at once, each with one fs request in flight; default {@link DEFAULT_AUDIT_CONCURRENCY}. */
  concurrency?: number;
}

/** The findings of an audit in the one total order, and its counters. */
export interface AuditReport {
  findings: Finding[];
  stats: AuditStats;
}

/**
 * Folders an audit works on at once, each with one fs request in flight: enough to keep libuv's
 * pool threads busy, few enough that descriptors and memory stay bounded.
 */
export const DEFAULT_AUDIT_CONCURRENCY = 48;

/** The configured equipment folders, absolute and each once; an equipment with no root at all is skipped. */
function equipmentFolders(config: Config, ids: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const id of ids) {
    const dir = equipmentDir(config, id);
    // join('', id) is just the id: neither the entry nor paths.local_root names a root.
    if (dir !== undefined && dir !== normalize(id)) dirs.add(resolve(dir));
  }
  return [...dirs];
}

/**
 * Audit mode (§11.8): walks the scope and returns every finding, sorted (core.md H13), with the
 * walk's counters. Read-only and never throws for a filesystem problem: missing, unreadable and
 * symlinked folders are counted in `stats`. An unknown equipment id is an empty report.
 */
export async function audit(scope: AuditScope, context: AuditContext): Promise<AuditReport> {
  const { config } = context;
  const walk = new TreeWalk({
    concurrency: context.concurrency ?? DEFAULT_AUDIT_CONCURRENCY,
    limits: contentScanLimits(config.validator.content_scan_max_mib, config.validator.content_scan_extensions),
    requirements: new RequiredFieldResolver(config),
    now: context.now ?? new Date(),
  });
  switch (scope.kind) {
    case 'equipment_id':
      await walk.run(equipmentFolders(config, [scope.value]).map((dir) => rootVisit(dir, 'equipment')));
      break;
    case 'project_path':
      await walk.run([rootVisit(resolve(scope.value), 'project')]);
      break;
    case 'all': {
      const dirs = equipmentFolders(
        config,
        config.equipment.map((entry) => entry.id),
      );
      const stagingRoot = config.orchestrator.staging_root;
      if (context.staging !== false && stagingRoot !== '') {
        // A staged equipment folder that is also a configured one is walked once.
        const known = new Set(dirs);
        for (const dir of await walk.stagingEquipment(resolve(stagingRoot))) if (!known.has(dir)) dirs.push(dir);
      }
      await walk.run(dirs.map((dir) => rootVisit(dir, 'equipment')));
      break;
    }
  }
  return { findings: sortFindings(walk.findings), stats: walk.stats };
}

/** `query_problems(scope)` (§11.8, core.md H14): the audit's findings and when it ran; strictly read-only. */
export async function queryProblems(scope: AuditScope, context: AuditContext): Promise<ProblemsReport> {
  const now = context.now ?? new Date();
  const report = await audit(scope, { ...context, now });
  return { findings: report.findings, audit_at: formatUtcTimestamp(now) };
}
