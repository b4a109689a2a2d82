import { RUN_KIND_FOLDER } from '../constants/index.js';
import { runPrefixOf } from './mode-prefix-rule.js';

/**
 * What a folder is, by its depth under `<root>/<EQ>` (core.md H12): the equipment folder, a
 * project, a `Runs`/`TestRuns` container, a run, or other content of the nearest run or project.
 */
export type FolderRole = 'equipment' | 'project' | 'container' | 'run' | 'other';

const CONTAINERS: ReadonlySet<string> = new Set(Object.values(RUN_KIND_FOLDER));

/**
 * The role of a folder named `name` inside a folder of role `parent`. A run is a `Run_*` or
 * `TestRun_*` folder in `Runs`/`TestRuns` (either prefix in either container, so a misfiled run
 * still gets its §8.1.3 check) or straight under the project (a stray run); anything else below
 * a project is other content.
 */
export function childRole(parent: FolderRole, name: string): FolderRole {
  switch (parent) {
    case 'equipment':
      return 'project';
    case 'project':
      if (CONTAINERS.has(name)) return 'container';
      return runPrefixOf(name) === null ? 'other' : 'run';
    case 'container':
      return runPrefixOf(name) === null ? 'other' : 'run';
    default:
      return 'other';
  }
}

/** True for the folders that carry their own creation.json and own the findings below them. */
export function ownsFindings(role: FolderRole): boolean {
  return role === 'project' || role === 'run';
}
