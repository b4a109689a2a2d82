import { RUN_KIND_FOLDER, RUN_KIND_PREFIX, RUN_KINDS, type RunKind } from '../constants/index.js';

/** One §8.1.3 disagreement between a run folder and its recorded run_kind. */
export interface ModePrefixHit {
  /** Which signal disagrees: the leaf prefix or the parent folder. */
  signal: 'leaf' | 'parent';
  /** The leaf prefix the folder has (`Run_`, `TestRun_`, or the whole leaf when it has neither), or the parent folder's name. */
  token: string;
  /** The complete rule_detail sentence. */
  detail: string;
}

/** The run-kind prefix a run folder name starts with (`Run_` or `TestRun_`), or null; neither prefix starts the other. */
export function runPrefixOf(name: string): string | null {
  for (const kind of RUN_KINDS) if (name.startsWith(RUN_KIND_PREFIX[kind])) return RUN_KIND_PREFIX[kind];
  return null;
}

/**
 * §8.1.3: an experimental run needs the `Run_` prefix under `Runs`, a test run `TestRun_` under
 * `TestRuns`. A wrong leaf and a wrong parent are separate hits, leaf first.
 */
export function modePrefixHits(leaf: string, parent: string, runKind: RunKind): ModePrefixHit[] {
  const hits: ModePrefixHit[] = [];
  const prefix = RUN_KIND_PREFIX[runKind];
  const folder = RUN_KIND_FOLDER[runKind];
  if (!leaf.startsWith(prefix)) {
    const found = runPrefixOf(leaf);
    hits.push({
      signal: 'leaf',
      token: found ?? leaf,
      detail: `Run folder "${leaf}" ${found === null ? 'has no run prefix' : `starts with ${found}`}, but its creation.json records run_kind "${runKind}", which needs the prefix ${prefix}.`,
    });
  }
  if (parent !== folder) {
    hits.push({
      signal: 'parent',
      token: parent,
      detail: `Run folder "${leaf}" sits in "${parent}", but its creation.json records run_kind "${runKind}", which needs the parent folder ${folder}.`,
    });
  }
  return hits;
}
