import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { FILE_NAMES, type RunKind, type TemplateType } from '../constants/index.js';
import { TemplateLoadError } from '../errors/index.js';
import { isInside } from '../paths/index.js';
import { loadTemplateManifest, scopeAllows, type TemplateManifest } from './manifest.js';

/** A template folder that failed to load during discovery. */
export interface RejectedTemplate {
  /** Folder name. */
  name: string;
  /** Why it was skipped. */
  error: TemplateLoadError;
}

/** Lists the templates of `type` in `templatesDir` sorted by name; run templates are filtered by `runKind` when given (core.md D1). */
export async function listTemplates(
  templatesDir: string,
  type: TemplateType,
  runKind?: RunKind,
): Promise<{ templates: TemplateManifest[]; rejected: RejectedTemplate[] }> {
  const entries = await readdir(templatesDir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const templates: TemplateManifest[] = [];
  const rejected: RejectedTemplate[] = [];
  for (const name of names) {
    const dir = join(templatesDir, name);
    const hasManifest = await stat(join(dir, FILE_NAMES.copierManifest)).then(
      () => true,
      () =>
        stat(join(dir, FILE_NAMES.copierManifestAlt)).then(
          () => true,
          () => false,
        ),
    );
    if (!hasManifest) continue;
    try {
      const manifest = await loadTemplateManifest(dir);
      if (manifest.type !== type) continue;
      if (type === 'run' && runKind !== undefined && !scopeAllows(manifest.runScope, runKind)) continue;
      templates.push(manifest);
    } catch (error) {
      if (error instanceof TemplateLoadError) rejected.push({ name, error });
      else throw error;
    }
  }
  return { templates, rejected };
}

/**
 * Resolves a request's `template_path` (a folder name in `templatesDir`, or a path inside it)
 * to a loaded manifest of `type`; a path outside the templates folder is refused.
 */
export async function resolveTemplate(
  templatesDir: string,
  templatePath: string,
  type: TemplateType,
  runKind?: RunKind,
): Promise<TemplateManifest> {
  const dir = isAbsolute(templatePath) ? resolve(templatePath) : resolve(templatesDir, templatePath);
  if (!isInside(templatesDir, dir) || resolve(dir) === resolve(templatesDir)) {
    throw new TemplateLoadError(`Template "${templatePath}" is not a folder inside the templates folder ${templatesDir}.`, {
      field: 'template_path',
      details: { templates_dir: templatesDir },
    });
  }
  const manifest = await loadTemplateManifest(dir, type).catch((error: unknown) => {
    if (error instanceof TemplateLoadError)
      throw new TemplateLoadError(error.message, {
        code: error.code as 'template_load_error',
        field: 'template_path',
        details: { ...error.details, key: error.field },
      });
    throw error;
  });
  if (type === 'run' && runKind !== undefined && !scopeAllows(manifest.runScope, runKind)) {
    throw new TemplateLoadError(`Template "${manifest.name}" has run scope "${manifest.runScope}" and cannot create ${runKind} runs.`, {
      field: 'template_path',
      details: { template: manifest.name, run_scope: manifest.runScope, run_kind: runKind },
    });
  }
  return manifest;
}
