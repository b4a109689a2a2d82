import { join } from 'node:path';
import {
  ILLEGAL_FILENAME_CHARACTERS,
  LIMITS,
  RESERVED_FILENAMES,
  RUN_KIND_FOLDER,
  RUN_KIND_PREFIX,
  type RunKind,
} from '../constants/index.js';
import { equipmentIdProblems } from '../schemas/equipment-id.js';

/** The part of the config that says where equipment lives. */
export interface EquipmentLocationConfig {
  paths: { local_root: string };
  equipment: readonly { id: string; local_root?: string | null | undefined }[];
}

/** Run folder timestamp `YYYY-MM-DDTHH-MM` in UTC (minute precision, redesign §3.4). */
export function runStamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace(':', '-');
}

/** Run folder name: `Run_<stamp>` or `TestRun_<stamp>`. */
export function runFolderName(kind: RunKind, date: Date): string {
  return `${RUN_KIND_PREFIX[kind]}${runStamp(date)}`;
}

/**
 * The one definition of where an equipment's folder is (DECISIONS.md): its own `local_root`
 * when set, else `paths.local_root`, joined with the equipment id. Undefined for an unknown id.
 */
export function equipmentDir(config: EquipmentLocationConfig, equipmentId: string): string | undefined {
  const entry = config.equipment.find((e) => e.id === equipmentId);
  if (!entry) return undefined;
  const root =
    entry.local_root !== undefined && entry.local_root !== null && entry.local_root !== '' ? entry.local_root : config.paths.local_root;
  return join(root, equipmentId);
}

/** `<equipmentDir>/<project name as written>`. */
export function projectDir(equipmentDirectory: string, projectName: string): string {
  return join(equipmentDirectory, projectName);
}

/** `<projectDir>/Runs/Run_<stamp>` or `<projectDir>/TestRuns/TestRun_<stamp>`. */
export function runDir(projectDirectory: string, kind: RunKind, date: Date): string {
  return join(projectDirectory, RUN_KIND_FOLDER[kind], runFolderName(kind, date));
}

/** Problems with an equipment id (empty when valid): regex, length 1-32, never case-folded (§3.1). */
export const checkEquipmentId = equipmentIdProblems;

/** One problem with a project folder name. */
export interface NameProblem {
  /** The offending character or part. */
  token: string;
  /** What is wrong. */
  message: string;
}

/**
 * Problems that stop a LIMS project name being used as a folder on every OS (core.md B3),
 * one per distinct problem; empty when the name is safe.
 */
export function checkProjectName(name: string): NameProblem[] {
  const problems: NameProblem[] = [];
  if (name.length === 0) return [{ token: '', message: 'project name is empty' }];
  if (name.length > LIMITS.projectNameMaxLength) {
    problems.push({
      token: name.slice(0, 16),
      message: `project name is ${name.length} characters; at most ${LIMITS.projectNameMaxLength} are allowed`,
    });
  }
  if (name !== name.trimStart()) problems.push({ token: ' ', message: 'project name starts with whitespace' });
  if (name !== name.trimEnd()) problems.push({ token: ' ', message: 'project name ends with whitespace' });
  if (name.endsWith('.')) problems.push({ token: '.', message: 'project name ends with "."' });
  const seen = new Set<string>();
  for (const ch of name) {
    if (seen.has(ch)) continue;
    if ((ILLEGAL_FILENAME_CHARACTERS as readonly string[]).includes(ch)) {
      seen.add(ch);
      problems.push({
        token: ch,
        message: `project name contains "${ch}", which is not allowed in folder names (not allowed: ${ILLEGAL_FILENAME_CHARACTERS.join(' ')})`,
      });
    } else {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x20 || code > 0x7e) {
        seen.add(ch);
        problems.push({
          token: ch,
          message: `project name contains U+${code.toString(16).toUpperCase().padStart(4, '0')}; only printable ASCII is allowed`,
        });
      }
    }
  }
  const stem = (name.split('.')[0] ?? '').trim().toUpperCase();
  if ((RESERVED_FILENAMES as readonly string[]).includes(stem)) {
    problems.push({ token: stem, message: `"${stem}" is a reserved device name on Windows` });
  }
  return problems;
}
