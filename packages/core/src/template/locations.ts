import { isAbsolute, join, resolve } from 'node:path';
import { FILE_NAMES, type RunKind, type TemplateType } from '../constants/index.js';
import { ExLabError, TemplateLoadError } from '../errors/index.js';
import { equipmentDir, isInside, type EquipmentLocationConfig } from '../paths/index.js';
import { listTemplates, resolveTemplate, type RejectedTemplate } from './discover.js';
import { loadTemplateManifest, readManifestSource, scopeAllows, type TemplateManifest } from './manifest.js';

/** Where a template was found (§5.0). */
export type TemplateSource = 'global' | 'equipment';

/** The part of the config that says where templates live. */
export interface TemplateLocationsConfig extends EquipmentLocationConfig {
  paths: { local_root: string; templates_dir: string };
}

/** One folder templates are read from. */
export interface TemplateRoot {
  /** The folder. */
  dir: string;
  /** Which of the two §5.0 locations it is. */
  source: TemplateSource;
}

/** A loaded template and the location it came from. */
export type LocatedTemplate = TemplateManifest & { source: TemplateSource };

/** A template folder that failed to load, and where it is. */
export interface LocatedRejection extends RejectedTemplate {
  /** The location holding it. */
  source: TemplateSource;
  /** The template folder. */
  path: string;
}

/** What {@link listTemplatesFor} found. */
export interface TemplateListing {
  /** Usable templates sorted by name, each name once. */
  templates: LocatedTemplate[];
  /** Folders whose manifest failed to load (any type). */
  rejected: LocatedRejection[];
  /** Global templates hidden by a per-equipment template of the same name. */
  shadowed: LocatedTemplate[];
}

/** What to list: a template type, the equipment the wizard is for, and the run kind for run templates. */
export interface TemplateQuery {
  type: TemplateType;
  equipmentId?: string | undefined;
  runKind?: RunKind | undefined;
}

/** Folder under the equipment's `.exlab-wizard/` that holds its templates (§5.0). */
const EQUIPMENT_TEMPLATES_FOLDER = 'templates';

/** `<equipment folder>/.exlab-wizard/templates` (§5.0); `equipment_not_configured` for an unknown id. */
export function equipmentTemplatesDir(config: EquipmentLocationConfig, equipmentId: string): string {
  const dir = equipmentDir(config, equipmentId);
  if (dir === undefined) {
    throw new ExLabError('equipment_not_configured', `Equipment "${equipmentId}" is not in the configuration.`, {
      field: 'equipment_id',
      details: { known: config.equipment.map((e) => e.id) },
    });
  }
  return join(dir, FILE_NAMES.cacheDir, EQUIPMENT_TEMPLATES_FOLDER);
}

/**
 * The folders templates of `type` come from, highest precedence first (§5.0):
 * - equipment templates: the global folder only;
 * - project templates: the equipment's folder, then the global one;
 * - run templates: the equipment's folder, then the global one. §5.0 (and core.md D1) say
 *   per-equipment only; we keep the global folder as a fallback because the starter run
 *   templates (§15.4) and the demo lab live there, and a lab without per-equipment templates
 *   would otherwise have no run template at all. A per-equipment template still wins a name clash.
 * Without an equipment id only the global folder is used. An unset `paths.templates_dir` is no folder.
 */
export function templateRoots(config: TemplateLocationsConfig, type: TemplateType, equipmentId?: string): TemplateRoot[] {
  const roots: TemplateRoot[] = [];
  if (equipmentId !== undefined && type !== 'equipment')
    roots.push({ dir: equipmentTemplatesDir(config, equipmentId), source: 'equipment' });
  else if (equipmentId !== undefined) equipmentTemplatesDir(config, equipmentId);
  if (config.paths.templates_dir.trim() !== '') roots.push({ dir: config.paths.templates_dir, source: 'global' });
  return roots;
}

/**
 * Lists the templates a wizard offers (§5.0): the merged set of {@link templateRoots}, sorted by
 * name. A per-equipment template hides the global one of the same name and type, whatever its
 * run scope, and so does a per-equipment folder whose manifest fails to load (it is reported in
 * `rejected`), so a broken override never silently falls back to the lab-wide template. Run
 * templates are then filtered by `runKind`. Templates with `_tasks` are listed (`hasTasks`);
 * their tasks never run.
 */
export async function listTemplatesFor(config: TemplateLocationsConfig, query: TemplateQuery): Promise<TemplateListing> {
  const listing: TemplateListing = { templates: [], rejected: [], shadowed: [] };
  const taken = new Set<string>();
  for (const root of templateRoots(config, query.type, query.equipmentId)) {
    const found = await listTemplates(root.dir, query.type);
    const hidden = new Set<string>();
    for (const template of found.templates) {
      const located = { ...template, source: root.source };
      if (taken.has(template.name)) listing.shadowed.push(located);
      else listing.templates.push(located);
      hidden.add(template.name);
    }
    for (const rejection of found.rejected) {
      listing.rejected.push({ ...rejection, source: root.source, path: join(root.dir, rejection.name) });
      hidden.add(rejection.name);
    }
    for (const name of hidden) taken.add(name);
  }
  if (query.type === 'run' && query.runKind !== undefined) {
    const kind = query.runKind;
    listing.templates = listing.templates.filter((t) => scopeAllows(t.runScope, kind));
  }
  listing.templates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return listing;
}

/**
 * Resolves a request's `template_path` against {@link templateRoots} (§5.0): a folder name or
 * relative path is looked up in the per-equipment folder first, then the global one; the first
 * folder holding a manifest of `type` wins (one that fails to load is reported, not skipped).
 * An absolute path must lie inside one of the folders. Errors are TemplateLoadErrors on
 * `template_path`, as {@link resolveTemplate} throws them.
 */
export async function resolveTemplateFor(
  config: TemplateLocationsConfig,
  equipmentId: string | undefined,
  templatePath: string,
  type: TemplateType,
  runKind?: RunKind,
): Promise<LocatedTemplate> {
  const roots = templateRoots(config, type, equipmentId);
  const dirs = roots.map((r) => r.dir);
  if (isAbsolute(templatePath)) {
    const root = roots.find((r) => isInside(r.dir, templatePath) && resolve(r.dir) !== resolve(templatePath));
    if (root === undefined) {
      throw new TemplateLoadError(`Template "${templatePath}" is not a folder inside the templates folders (${dirs.join(', ')}).`, {
        field: 'template_path',
        details: { templates_dirs: dirs },
      });
    }
    return { ...(await resolveTemplate(root.dir, templatePath, type, runKind)), source: root.source };
  }
  let otherType: TemplateRoot | undefined;
  for (const root of roots) {
    const candidate = resolve(root.dir, templatePath);
    if (!isInside(root.dir, candidate) || candidate === resolve(root.dir)) continue;
    if ((await readManifestSource(candidate)) === undefined) continue;
    // A template of another type does not hide this type's template of the same name (as in listing).
    const loaded = await loadTemplateManifest(candidate).catch(() => undefined);
    if (loaded !== undefined && loaded.type !== type) {
      otherType ??= root;
      continue;
    }
    return { ...(await resolveTemplate(root.dir, templatePath, type, runKind)), source: root.source };
  }
  // Only a template of another type has the name: let resolveTemplate report the type mismatch.
  if (otherType !== undefined) await resolveTemplate(otherType.dir, templatePath, type, runKind);
  throw new TemplateLoadError(
    `No ${type} template "${templatePath}" in ${dirs.length > 0 ? dirs.join(' or ') : 'any templates folder (paths.templates_dir is not set)'}.`,
    {
      field: 'template_path',
      details: { templates_dirs: dirs, key: FILE_NAMES.copierManifest },
    },
  );
}
