import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { activeOverrides, CacheWriter, creationJsonPath, parseCreationJson } from '@exlab/core/cache';
import { EQUIPMENT_ID_PATTERN, EXIT_CODES, HARD_PROBLEM_CLASSES, LIMITS } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import { equipmentDir, isInside } from '@exlab/core/paths';
import { ProblemsReportSchema, type Config } from '@exlab/core/schemas';
import { queryProblems, type AuditScope } from '@exlab/core/validator';
import { LabConfigUnavailable, resolveLabConfig } from '../lab-config.js';
import { COMMAND_USAGE_EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { problemsSummary, problemsTable } from '../problems-table.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Flags of `exlab problems`. */
export interface ProblemsFlags {
  config?: string;
  scope?: string;
  json?: boolean;
}

/** Flags of `exlab problems override RUN_PATH`. */
export interface OverrideFlags {
  class: string;
  reason: string;
  expires?: string;
  operator?: string;
}

/** Flags of `exlab problems revoke RUN_PATH`. */
export interface RevokeFlags {
  id: string;
  reason: string;
  operator?: string;
}

/** A usage or config problem: printed and answered with {@link COMMAND_USAGE_EXIT}. */
class ProblemsUsage {
  constructor(readonly message: string) {}
}

const SCOPE_FORMS = 'all, a configured equipment id (e.g. CONFOCAL_01), or the path of a project folder <lab root>/<EQUIPMENT>/<project>';

/** `--scope`: `all`, a configured equipment id, or a project folder of a configured equipment. */
async function resolveScope(value: string, config: Config): Promise<{ scope: AuditScope; label: string }> {
  if (value === 'all') return { scope: { kind: 'all' }, label: 'all equipment' };
  const ids = config.equipment.map((e) => e.id);
  if (EQUIPMENT_ID_PATTERN.test(value)) {
    if (ids.includes(value)) return { scope: { kind: 'equipment_id', value }, label: `equipment ${value}` };
    throw new ProblemsUsage(
      `--scope ${value}: no equipment "${value}" is configured (configured: ${ids.length > 0 ? ids.join(', ') : 'none'}). Allowed: ${SCOPE_FORMS}; write ./${value} for a folder of that name.`,
    );
  }
  const path = resolve(value);
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new ProblemsUsage(`--scope ${JSON.stringify(value)}: ${path} is not a folder. Allowed: ${SCOPE_FORMS}.`);
  for (const id of ids) {
    const equipment = equipmentDir(config, id);
    if (equipment === undefined) continue;
    if (resolve(dirname(path)) === resolve(equipment)) {
      return { scope: { kind: 'project_path', value: path }, label: `project ${id}/${basename(path)}` };
    }
    if (resolve(path) === resolve(equipment)) {
      throw new ProblemsUsage(`--scope ${JSON.stringify(value)} is the folder of equipment ${id}; use --scope ${id}.`);
    }
    if (isInside(equipment, path)) {
      const project = join(equipment, relative(equipment, path).split(sep)[0] ?? '');
      throw new ProblemsUsage(
        `--scope ${JSON.stringify(value)} is inside project folder ${project}; give that folder, or ${id} for the whole equipment.`,
      );
    }
  }
  throw new ProblemsUsage(
    `--scope ${JSON.stringify(value)}: ${path} is not a project folder of a configured equipment. Allowed: ${SCOPE_FORMS}.`,
  );
}

/** The folders findings are shown relative to: every equipment's lab root, then the staging root. */
function labRoots(config: Config): string[] {
  const roots = new Set<string>();
  for (const entry of config.equipment) {
    const dir = equipmentDir(config, entry.id);
    if (dir !== undefined) roots.add(dirname(dir));
  }
  if (config.orchestrator.staging_root !== '') roots.add(config.orchestrator.staging_root);
  return [...roots];
}

/**
 * `exlab problems [--config FILE] [--scope SCOPE] [--json]` (§11.8): audits the lab read-only and
 * prints a table and a summary, or the problems report as JSON. Exit 0 when nothing blocks
 * sync (no hard finding, or each one overridden, §7.3), 1 when a hard finding blocks it,
 * 2 for a bad scope or a missing or invalid config.
 */
export async function problemsCommand(flags: ProblemsFlags, output: Output, env: Env): Promise<number> {
  try {
    const source = await resolveLabConfig(flags.config, env).catch((error: unknown) => {
      throw error instanceof LabConfigUnavailable ? new ProblemsUsage(error.message) : error;
    });
    if (!flags.json) output.err(`Using ${source.origin}: ${source.path}`);
    const { scope, label } = await resolveScope(flags.scope ?? 'all', source.config);
    const report = ProblemsReportSchema.parse(await queryProblems(scope, { config: source.config }));
    if (flags.json) {
      output.out(JSON.stringify(report, null, 2));
    } else {
      if (report.findings.length > 0) for (const line of problemsTable(report.findings, labRoots(source.config))) output.out(line);
      output.out(problemsSummary(report.findings, label));
    }
    const blocking = report.findings.some((f) => f.tier === 'hard' && !f.override_active);
    return blocking ? EXIT_CODES.failure : EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof ProblemsUsage) {
      output.err(error.message);
      return COMMAND_USAGE_EXIT;
    }
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }
}

/** The operator recorded when --operator is not given: the OS user. */
function defaultOperator(env: Env): string {
  const fromEnv = env.USER ?? env.USERNAME ?? env.LOGNAME;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function checkReason(reason: string): void {
  const length = reason.trim().length;
  if (length < LIMITS.overrideReasonMinLength || length > LIMITS.overrideReasonMaxLength) {
    throw new ProblemsUsage(
      `--reason is ${length} characters after trimming; it must be ${LIMITS.overrideReasonMinLength} to ${LIMITS.overrideReasonMaxLength} characters and say why.`,
    );
  }
}

/** `--expires`: a UTC timestamp, or a date meaning the end of that day in UTC. */
function parseExpiry(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T23:59:59Z`;
  return value;
}

/** Checks that RUN_PATH is a folder with a readable creation.json; returns its absolute path and its active override ids. */
async function runWithCreation(runPath: string): Promise<{ dir: string; activeIds: string[] }> {
  const dir = resolve(runPath);
  const file = creationJsonPath(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ExLabError(
      'folder_not_found',
      `No creation.json at ${file}; overrides are recorded on a run folder created by ExLab-Wizard.`,
      {
        details: { path: file },
      },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ExLabError('cache_file_invalid', `${file} is not valid JSON (${(error as Error).message}).`, { details: { path: file } });
  }
  const creation = parseCreationJson(raw, file);
  return { dir, activeIds: activeOverrides(creation.validation_overrides, new Date()).map((entry) => entry.id) };
}

/** Maps a library error from the override flow: an input the library refuses is a usage error. */
function overrideFailure(error: unknown, output: Output): number {
  if (error instanceof ProblemsUsage) {
    output.err(error.message);
    return COMMAND_USAGE_EXIT;
  }
  if (error instanceof ExLabError && (error.code === 'validation_failed' || error.code === 'field_too_long')) {
    output.err(error.message);
    return COMMAND_USAGE_EXIT;
  }
  output.err(describeError(error));
  return EXIT_CODES.failure;
}

/**
 * `exlab problems override RUN_PATH --class C --reason R [--expires DATE] [--operator O]`:
 * appends an override of hard class C to the run's creation.json (§11.3) and prints its id.
 */
export async function problemsOverrideCommand(runPath: string, flags: OverrideFlags, output: Output, env: Env): Promise<number> {
  try {
    if (!(HARD_PROBLEM_CLASSES as readonly string[]).includes(flags.class)) {
      throw new ProblemsUsage(
        `--class ${JSON.stringify(flags.class)} cannot be overridden; allowed (hard rules only): ${HARD_PROBLEM_CLASSES.join(', ')}.`,
      );
    }
    checkReason(flags.reason);
    const { dir } = await runWithCreation(runPath);
    const entry = await new CacheWriter().appendOverride(dir, {
      problem_class: flags.class,
      operator: flags.operator ?? defaultOperator(env),
      reason: flags.reason,
      expires_at: parseExpiry(flags.expires),
    });
    output.out(entry.id);
    output.err(
      `Recorded override ${entry.id} of ${entry.problem_class} on ${dir} by ${entry.operator}${entry.expires_at ? `, expires ${entry.expires_at}` : ''}.`,
    );
    return EXIT_CODES.ok;
  } catch (error) {
    return overrideFailure(error, output);
  }
}

/**
 * `exlab problems revoke RUN_PATH --id ID --reason R [--operator O]`: appends a tombstone
 * revoking override ID (§11.3) and prints the tombstone's id. An id that names no active override
 * of the run is refused (exit 1) rather than written as a tombstone with no effect.
 */
export async function problemsRevokeCommand(runPath: string, flags: RevokeFlags, output: Output, env: Env): Promise<number> {
  try {
    checkReason(flags.reason);
    const { dir, activeIds } = await runWithCreation(runPath);
    if (!activeIds.includes(flags.id)) {
      output.err(
        `No active override ${flags.id} in ${creationJsonPath(dir)}; active override ids there: ${activeIds.length > 0 ? activeIds.join(', ') : 'none'}.`,
      );
      return EXIT_CODES.failure;
    }
    const tombstone = await new CacheWriter().revokeOverride(dir, {
      revokes: flags.id,
      operator: flags.operator ?? defaultOperator(env),
      reason: flags.reason,
    });
    output.out(tombstone.id);
    output.err(`Revoked override ${flags.id} on ${dir} (tombstone ${tombstone.id}).`);
    return EXIT_CODES.ok;
  } catch (error) {
    return overrideFailure(error, output);
  }
}
