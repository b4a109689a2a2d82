import type { Config, Finding } from '../schemas/index.js';
import { contentScanLimits } from './content-scan.js';
import { RequiredFieldResolver } from './required-fields.js';
import { TreeWalk, rootVisit, type AuditStats, type WalkPartition } from './tree-walk.js';

/** One walker's job: the scope roots and its share of them. Structured-cloneable, so it can go to a worker thread. */
export interface AuditPartInput {
  config: Config;
  now: Date;
  roots: { dir: string; role: 'equipment' | 'project' }[];
  partition?: WalkPartition;
}

/** One walker's findings (in discovery order) and counters. */
export interface AuditPartResult {
  findings: Finding[];
  stats: AuditStats;
}

/** Walks one share of an audit's scope with synchronous fs calls (in a worker thread, or in-process for a tiny scope). */
export async function runAuditPart(input: AuditPartInput): Promise<AuditPartResult> {
  const { config } = input;
  const walk = new TreeWalk({
    limits: contentScanLimits(config.validator.content_scan_max_mib, config.validator.content_scan_extensions),
    requirements: new RequiredFieldResolver(config),
    now: input.now,
    ...(input.partition === undefined ? {} : { partition: input.partition }),
  });
  await walk.run(input.roots.map((root) => rootVisit(root.dir, root.role)));
  return { findings: walk.findings, stats: walk.stats };
}
