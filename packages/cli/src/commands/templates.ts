import { basename, resolve } from 'node:path';
import { EXIT_CODES, RUN_SCOPES, type RunScope, type TemplateType } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import {
  equipmentTemplatesDir,
  findTemplateDirs,
  lintTemplate,
  listTemplatesFor,
  scaffoldTemplate,
  SCAFFOLD_TYPES,
  TemplateLintReportSchema,
  type LocatedRejection,
  type LocatedTemplate,
  type TemplateLintFinding,
  type TemplateLintReport,
  type ScaffoldType,
} from '@exlab/core/template';
import { LabConfigUnavailable, resolveLabConfig, type LabConfig } from '../lab-config.js';
import { COMMAND_USAGE_EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Flags of `exlab templates list`. */
export interface TemplatesListFlags {
  /** config.yaml to use (default: the OS config, else the demo lab). */
  config?: string;
  /** Equipment id: adds its per-equipment templates (§5.0). */
  equipment?: string;
  /** Print JSON instead of a table. */
  json?: boolean;
}

/** Flags of `exlab templates lint`. */
export interface TemplatesLintFlags {
  /** Print `{templates: [{path, name, findings}]}`. */
  json?: boolean;
  /** Warnings fail the lint too (§5.8 `--strict`). */
  strict?: boolean;
}

/** Flags of `exlab templates new`. */
export interface TemplatesNewFlags {
  /** `run` or `project`. */
  type: string;
  /** Run scope of a run template: experimental, test or both (default both). */
  scope?: string;
  /** Folder to create the template in (default: `paths.templates_dir` of the config). */
  dir?: string;
  /** config.yaml to use when --dir is not given. */
  config?: string;
  /** Create it in this equipment's per-equipment templates folder instead (§5.0). */
  equipment?: string;
}

/** A usage problem: printed and answered with {@link COMMAND_USAGE_EXIT}. */
class TemplatesUsage {
  constructor(readonly message: string) {}
}

async function labConfig(explicit: string | undefined, env: Env, output: Output, quiet: boolean): Promise<LabConfig> {
  try {
    const source = await resolveLabConfig(explicit, env);
    if (!quiet) output.err(`Using ${source.origin}: ${source.path}`);
    return source;
  } catch (error) {
    if (error instanceof LabConfigUnavailable) throw new TemplatesUsage(error.message);
    throw error;
  }
}

function checkEquipment(source: LabConfig, id: string | undefined): void {
  if (id === undefined) return;
  const ids = source.config.equipment.map((e) => e.id);
  if (!ids.includes(id)) {
    throw new TemplatesUsage(
      `--equipment ${id}: no such equipment in ${source.path} (configured: ${ids.length > 0 ? ids.join(', ') : 'none'}).`,
    );
  }
}

/** Runs a command body, turning usage problems into exit 2 and anything else into exit 1 with its message. */
async function guarded(output: Output, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof TemplatesUsage) {
      output.err(error.message);
      return COMMAND_USAGE_EXIT;
    }
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const TYPE_ORDER: readonly TemplateType[] = ['equipment', 'project', 'run'];

/**
 * `exlab templates list [--config FILE] [--equipment ID] [--json]`: the templates the wizards
 * offer, with name, type, version, run scope and source (global or equipment). Without
 * --equipment only the global templates folder is listed; with it, project and run templates
 * merge that equipment's templates in (§5.0). Templates that fail to load are listed on stderr
 * with the reason. Exit 0, or 2 for a missing config or an unknown equipment.
 */
export async function templatesListCommand(flags: TemplatesListFlags, output: Output, env: Env): Promise<number> {
  return guarded(output, async () => {
    const source = await labConfig(flags.config, env, output, flags.json === true);
    checkEquipment(source, flags.equipment);
    const templates: LocatedTemplate[] = [];
    const shadowed: LocatedTemplate[] = [];
    const rejected = new Map<string, LocatedRejection>();
    for (const type of TYPE_ORDER) {
      const listing = await listTemplatesFor(source.config, { type, equipmentId: flags.equipment });
      templates.push(...listing.templates);
      shadowed.push(...listing.shadowed);
      for (const rejection of listing.rejected) rejected.set(rejection.path, rejection);
    }
    if (flags.json) {
      output.out(
        JSON.stringify(
          {
            templates: templates.map((t) => ({
              name: t.name,
              type: t.type,
              version: t.version,
              scope: t.runScope,
              source: t.source,
              path: t.path,
              description: t.description,
              has_tasks: t.hasTasks,
            })),
            shadowed: shadowed.map((t) => ({ name: t.name, type: t.type, source: t.source, path: t.path })),
            rejected: [...rejected.values()].map((r) => ({
              name: r.name,
              source: r.source,
              path: r.path,
              code: r.error.code,
              field: r.error.field ?? null,
              message: r.error.message,
            })),
          },
          null,
          2,
        ),
      );
      return EXIT_CODES.ok;
    }
    const where = flags.equipment === undefined ? 'the global templates folder' : `the global and ${flags.equipment} templates folders`;
    if (templates.length === 0) output.out(`No templates in ${where}.`);
    else {
      const rows = templates.map((t) => [t.name, t.type, t.version, t.runScope ?? '-', t.source, t.description]);
      for (const line of table([['NAME', 'TYPE', 'VERSION', 'SCOPE', 'SOURCE', 'DESCRIPTION'], ...rows])) output.out(line);
    }
    for (const t of shadowed)
      output.out(`Hidden: the global ${t.type} template ${t.name}, replaced by ${flags.equipment}'s template of the same name.`);
    for (const t of templates.filter((x) => x.hasTasks)) output.err(`Note: ${t.name} declares _tasks; they are never run (§5.5).`);
    for (const r of rejected.values()) output.err(`Skipped ${r.path} (${r.source}): ${r.error.message}`);
    return EXIT_CODES.ok;
  });
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function findingLine(finding: TemplateLintFinding): string {
  let where = finding.file ?? '';
  if (finding.line !== undefined) where += `:${finding.line}${finding.column !== undefined ? `:${finding.column}` : ''}`;
  if (finding.key !== undefined) where += ` [${finding.key}]`;
  return `  ${finding.severity.padEnd(7)}  ${where}  ${finding.code}: ${finding.message}`;
}

/**
 * `exlab templates lint PATH... [--json] [--strict]` (§5.8): lints each template folder, or each
 * template folder inside a parent folder, and prints every finding grouped by template (or the
 * JSON report). Exit 0 when no template has an error (warnings are printed but pass), 1 when one
 * has an error (or, with --strict, a warning), 2 when a PATH is not a folder.
 */
export async function templatesLintCommand(paths: readonly string[], flags: TemplatesLintFlags, output: Output): Promise<number> {
  return guarded(output, async () => {
    if (paths.length === 0) throw new TemplatesUsage('Give at least one template folder, or a folder of templates.');
    const dirs: string[] = [];
    for (const path of paths) {
      try {
        dirs.push(...(await findTemplateDirs(resolve(path))));
      } catch (error) {
        if (error instanceof ExLabError && error.code === 'folder_not_found') throw new TemplatesUsage(error.message);
        throw error;
      }
    }
    const report: TemplateLintReport = { templates: [] };
    for (const dir of [...new Set(dirs)]) {
      report.templates.push({ path: dir, name: basename(dir), findings: await lintTemplate(dir) });
    }
    const all = report.templates.flatMap((t) => t.findings);
    const errors = all.filter((f) => f.severity === 'error').length;
    const warnings = all.length - errors;
    if (flags.json) {
      output.out(JSON.stringify(TemplateLintReportSchema.parse(report), null, 2));
    } else {
      for (const template of report.templates) {
        const e = template.findings.filter((f) => f.severity === 'error').length;
        const w = template.findings.length - e;
        output.out(
          `${template.path} (${template.name}): ${template.findings.length === 0 ? 'clean' : `${plural(e, 'error')}, ${plural(w, 'warning')}`}`,
        );
        for (const finding of template.findings) output.out(findingLine(finding));
      }
      output.out(
        `Linted ${plural(report.templates.length, 'template')}: ${all.length === 0 ? 'clean' : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`}.`,
      );
    }
    return errors > 0 || (flags.strict === true && warnings > 0) ? EXIT_CODES.failure : EXIT_CODES.ok;
  });
}

/**
 * `exlab templates new NAME --type run|project [--scope S] [--dir DIR | --equipment ID] [--config FILE]`:
 * scaffolds a template that lints clean (copier.yml with `_exlab_version: "1.0"`, a README field
 * and a question, and `notes.md.jinja`) in DIR, the equipment's templates folder, or
 * `paths.templates_dir`. Exit 0, 1 when the folder exists, 2 for a usage error.
 */
export async function templatesNewCommand(name: string, flags: TemplatesNewFlags, output: Output, env: Env): Promise<number> {
  return guarded(output, async () => {
    if (!(SCAFFOLD_TYPES as readonly string[]).includes(flags.type)) {
      throw new TemplatesUsage(`--type ${flags.type}: allowed: ${SCAFFOLD_TYPES.join(', ')}.`);
    }
    const type = flags.type as ScaffoldType;
    if (flags.scope !== undefined && type !== 'run') throw new TemplatesUsage('--scope applies to run templates only.');
    if (flags.scope !== undefined && !(RUN_SCOPES as readonly string[]).includes(flags.scope)) {
      throw new TemplatesUsage(`--scope ${flags.scope}: allowed: ${RUN_SCOPES.join(', ')}.`);
    }
    if (flags.dir !== undefined && flags.equipment !== undefined) throw new TemplatesUsage('Give either --dir or --equipment, not both.');
    let parent: string;
    if (flags.dir !== undefined) parent = resolve(flags.dir);
    else {
      const source = await labConfig(flags.config, env, output, false);
      checkEquipment(source, flags.equipment);
      if (flags.equipment !== undefined) parent = equipmentTemplatesDir(source.config, flags.equipment);
      else if (source.config.paths.templates_dir.trim() === '') {
        throw new TemplatesUsage(`paths.templates_dir is not set in ${source.path}; pass --dir DIR.`);
      } else parent = source.config.paths.templates_dir;
    }
    let dir: string;
    try {
      dir = await scaffoldTemplate(parent, name, { type, scope: flags.scope as RunScope | undefined });
    } catch (error) {
      if (error instanceof ExLabError && error.code === 'validation_failed') throw new TemplatesUsage(error.message);
      throw error;
    }
    output.out(`Created the ${type} template "${name}" in ${dir}:`);
    output.out('  copier.yml       settings, README fields and questions');
    output.out('  notes.md.jinja   rendered into every new folder (drop .jinja to copy a file as is)');
    output.out(`Edit them, then check the template with: exlab templates lint ${dir}`);
    return EXIT_CODES.ok;
  });
}
