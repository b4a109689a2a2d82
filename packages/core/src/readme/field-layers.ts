import { FieldTooLongError, TemplateLoadError, ValidationError } from '../errors/index.js';
import { parseUtcTimestamp, type CustomReadmeField, type ReadmeFieldValue } from '../schemas/index.js';
import type { ReadmeFieldDefinition } from './field-definitions.js';

/** Inputs of {@link resolveReadmeLayers}. */
export interface ReadmeLayerInput {
  /** Fields the template declares. */
  templateFields: readonly ReadmeFieldDefinition[];
  /** Fields config.yaml `readme.defaults` declares. */
  configFields: readonly ReadmeFieldDefinition[];
  /** Values the operator entered, by field id (the request's `readme_extra`). */
  values: Readonly<Record<string, unknown>>;
  /** Ad-hoc fields the operator added, in order. */
  customFields: readonly CustomReadmeField[];
  /** Template name and version, for error details. */
  template: { name: string; version: string };
}

/** The resolved values of the template and config layers plus the custom fields. */
export interface ReadmeLayers {
  template_fields: Record<string, ReadmeFieldValue>;
  config_fields: Record<string, ReadmeFieldValue>;
  custom_fields: CustomReadmeField[];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function checkValue(field: ReadmeFieldDefinition, value: unknown): ReadmeFieldValue {
  const fail = (expected: string, details: Record<string, unknown> = {}): never => {
    throw new ValidationError(`README field "${field.label}" (${field.id}): ${JSON.stringify(value)} is not ${expected}.`, {
      field: field.id,
      details: { type: field.type, ...details },
    });
  };
  switch (field.type) {
    case 'string':
    case 'text':
      return typeof value === 'string' ? value : fail('text');
    case 'choice':
      return typeof value === 'string' && (field.options ?? []).includes(value)
        ? value
        : fail(`one of ${(field.options ?? []).join(', ')}`, { allowed: field.options ?? [] });
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value.trim())) return fail('an ISO-8601 date such as 2026-04-17');
      // parseUtcTimestamp checks the calendar day; Date would roll 2026-02-30 over to 2 March.
      const date = parseUtcTimestamp(value.trim().length === 10 ? `${value.trim()}T00:00:00Z` : value.trim());
      return date === null ? fail('an existing calendar date') : value.trim();
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
  }
}

function resolveLayer(
  fields: readonly ReadmeFieldDefinition[],
  values: Readonly<Record<string, unknown>>,
): Record<string, ReadmeFieldValue> {
  const out: Record<string, ReadmeFieldValue> = {};
  for (const field of fields) {
    const given = Object.hasOwn(values, field.id) ? values[field.id] : field.default;
    // `false` is an answer, not a blank (core.md E1).
    if (isBlank(given)) {
      if (field.required) {
        throw new ValidationError(`README field "${field.label}" (${field.id}) is required.`, {
          field: field.id,
          details: { required: true },
        });
      }
      out[field.id] = null;
      continue;
    }
    out[field.id] = checkValue(field, typeof given === 'string' && field.type !== 'text' ? given.trim() : given);
  }
  return out;
}

/**
 * Resolves the template and config README layers (§10.2, core.md E1-E2): an id declared by both
 * layers is an error, required fields must be present (`false` counts), values must fit their
 * type, an unknown value id is refused, and a custom label may not repeat a declared id.
 */
export function resolveReadmeLayers(input: ReadmeLayerInput): ReadmeLayers {
  const templateIds = new Set(input.templateFields.map((f) => f.id));
  for (const field of input.configFields) {
    if (templateIds.has(field.id)) {
      throw new TemplateLoadError(
        `README field "${field.id}" is declared both by template "${input.template.name}" and by config.yaml readme.defaults; rename one of them.`,
        { field: field.id, details: { template: input.template.name, version: input.template.version } },
      );
    }
  }
  const declared = new Set([...templateIds, ...input.configFields.map((f) => f.id)]);
  for (const id of Object.keys(input.values)) {
    if (!declared.has(id)) {
      throw new ValidationError(
        `readme_extra names "${id}", which is not a README field of this template or the lab config; declared: ${[...declared].join(', ') || '(none)'}.`,
        {
          field: `readme_extra.${id}`,
          details: { allowed: [...declared] },
        },
      );
    }
  }
  const custom = input.customFields.map((entry, index) => {
    const label = entry.label.trim();
    if (label === '') throw new ValidationError('A custom README field needs a label.', { field: `readme_custom_fields[${index}].label` });
    if (declared.has(label) || ['label', 'operator', 'objective'].includes(label)) {
      throw new ValidationError(`Custom README field "${label}" repeats a declared field id; fill that field instead.`, {
        field: `readme_custom_fields[${index}].label`,
      });
    }
    if (label.length > 200) throw new FieldTooLongError(`readme_custom_fields[${index}].label`, 200, label.length);
    return { label, value: entry.value };
  });
  return {
    template_fields: resolveLayer(input.templateFields, input.values),
    config_fields: resolveLayer(input.configFields, input.values),
    custom_fields: custom,
  };
}
