import { HARD_PROBLEM_CLASSES, type OffendingKind, type ProblemClass, type Tier } from '../constants/index.js';
import type { Finding } from '../schemas/index.js';

/** A finding before the run it belongs to is known: everything but run_path and the two run-derived flags. */
export interface FindingDraft {
  rule: ProblemClass;
  offending_path: string;
  offending_kind: OffendingKind;
  matched_token: string | null;
  rule_detail: string;
}

/** What a finding learns from the run (or project) folder it belongs to. */
export interface FindingOwner {
  /** The nearest run or project folder (the equipment folder for findings above any project). */
  runPath: string;
  /** True when the folder's creation.json says synced or cleaned. */
  synced: boolean;
  /** True when an active override in the folder's creation.json names `rule`. */
  overridden: (rule: ProblemClass) => boolean;
}

const HARD: ReadonlySet<string> = new Set(HARD_PROBLEM_CLASSES);

/** The tier of a rule (§8.1.6). */
export function tierOf(rule: ProblemClass): Tier {
  return HARD.has(rule) ? 'hard' : 'soft';
}

/** A complete §11.8 finding, keys in schema order so its JSON is byte-stable. */
export function completeFinding(draft: FindingDraft, owner: FindingOwner): Finding {
  const tier = tierOf(draft.rule);
  return {
    rule: draft.rule,
    tier,
    run_path: owner.runPath,
    offending_path: draft.offending_path,
    offending_kind: draft.offending_kind,
    matched_token: draft.matched_token,
    rule_detail: draft.rule_detail,
    // §7.3: a hard finding on a run that already went to the NAS is recorded, never un-synced.
    synced_under_prior_policy: tier === 'hard' && owner.synced,
    override_active: tier === 'hard' && owner.overridden(draft.rule),
  };
}

/** An owner with no creation.json to consult: nothing synced, nothing overridden. */
export function bareOwner(runPath: string): FindingOwner {
  return { runPath, synced: false, overridden: () => false };
}
