import { TemplateLoadError } from '../errors/index.js';
import { ReadmeDefaultFieldSchema, zodIssues, type ReadmeDefaultField } from '../schemas/index.js';
import type { TemplateManifest } from '../template/index.js';

/** A declared README field (template `_exlab_readme.fields` or config `readme.defaults`): one shape for both layers. */
export type ReadmeFieldDefinition = ReadmeDefaultField;

/**
 * The README fields a template declares (§10.1), checked with the same schema as config
 * fields; a bad declaration is a `template_load_error` naming the template and the key.
 * Core-field redeclaration is refused earlier, when the manifest loads.
 */
export function templateReadmeFields(manifest: TemplateManifest): ReadmeFieldDefinition[] {
  const readme = manifest.raw._exlab_readme;
  if (readme === undefined || readme === null) return [];
  const fields = typeof readme === 'object' && !Array.isArray(readme) ? (readme as Record<string, unknown>).fields : undefined;
  if (fields === undefined || fields === null) return [];
  if (!Array.isArray(fields)) {
    throw new TemplateLoadError(`Template "${manifest.name}": _exlab_readme.fields must be a list of field declarations.`, {
      field: '_exlab_readme.fields',
      details: { template: manifest.name, version: manifest.version },
    });
  }
  const seen = new Set<string>();
  return fields.map((raw, index) => {
    const parsed = ReadmeDefaultFieldSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = zodIssues(parsed.error)[0];
      const key = `_exlab_readme.fields[${index}]${issue?.path ? `.${issue.path}` : ''}`;
      throw new TemplateLoadError(`Template "${manifest.name}": ${key}: ${issue?.message ?? 'invalid field declaration'}.`, {
        field: key,
        details: { template: manifest.name, version: manifest.version },
      });
    }
    if (seen.has(parsed.data.id)) {
      throw new TemplateLoadError(`Template "${manifest.name}" declares the README field "${parsed.data.id}" twice.`, {
        field: `_exlab_readme.fields[${index}].id`,
        details: { template: manifest.name, version: manifest.version },
      });
    }
    seen.add(parsed.data.id);
    return parsed.data;
  });
}
