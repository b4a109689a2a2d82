import { stringify as stringifyYaml } from 'yaml';
import { TemplateLoadError } from '../errors/index.js';
import { bindFilterArguments } from './filter-arguments.js';

function indentOf(filter: string, value: unknown, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 16) {
    throw new TemplateLoadError(`${filter}: indent must be a whole number from 0 to 16 (got ${JSON.stringify(value)}).`, { field: filter });
  }
  return value;
}

// Dates become ISO text and objects with toJSON their JSON form, so YAML and JSON output agree.
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const withJson = value as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') return plain(withJson.toJSON());
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined && typeof item !== 'function') out[key] = plain(item);
    return out;
  }
  return value;
}

/** Python's `json.dumps`: `", "` and `": "` separators when compact; NaN and Infinity as Python writes them; UTF-8 kept. */
function pythonJson(value: unknown, indent: number | null, sortKeys: boolean, depth = 0): string {
  if (value === undefined || value === null || typeof value === 'function') return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return JSON.stringify(value);
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((item: unknown) => [null, item])
    : Object.entries(value as Record<string, unknown>);
  if (!Array.isArray(value) && sortKeys)
    entries.sort(([a], [b]) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0));
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  const items = entries.map(
    ([key, item]) => `${key === null ? '' : `${JSON.stringify(key)}: `}${pythonJson(item, indent, sortKeys, depth + 1)}`,
  );
  if (indent === null) return `${open}${items.join(', ')}${close}`;
  const inner = `\n${' '.repeat(indent * (depth + 1))}`;
  return `${open}${inner}${items.join(`,${inner}`)}\n${' '.repeat(indent * depth)}${close}`;
}

/** `to_json(indent=None, sort_keys=False)`: one-line JSON as Python's `json.dumps` writes it (Ansible's filter). */
export function toJsonFilter(value: unknown, ...args: unknown[]): string {
  const bound = bindFilterArguments('to_json', ['indent', 'sort_keys'], args);
  return pythonJson(plain(value), indentOf('to_json', bound.indent, null), bound.sort_keys === true);
}

/** `to_nice_json(indent=2, sort_keys=False)`: indented JSON, keys in the order the data has them. */
export function toNiceJsonFilter(value: unknown, ...args: unknown[]): string {
  const bound = bindFilterArguments('to_nice_json', ['indent', 'sort_keys'], args);
  return pythonJson(plain(value), indentOf('to_nice_json', bound.indent, 2), bound.sort_keys === true);
}

/**
 * `to_nice_yaml(indent=2, sort_keys=False)`: block-style YAML ending in a newline, keys in the
 * order the data has them, long text never folded. As PyYAML writes it, a list under a key is
 * not indented (`key:\n- a`). Strings a YAML 1.1 reader (PyYAML) would take for booleans, times
 * or dates are quoted, as in the answers file.
 */
export function toNiceYamlFilter(value: unknown, ...args: unknown[]): string {
  const bound = bindFilterArguments('to_nice_yaml', ['indent', 'sort_keys'], args);
  const indent = indentOf('to_nice_yaml', bound.indent, 2);
  return stringifyYaml(plain(value) ?? null, {
    version: '1.1',
    indent: indent === null || indent < 1 ? 2 : indent,
    indentSeq: false,
    lineWidth: 0,
    sortMapEntries: bound.sort_keys === true,
  });
}
