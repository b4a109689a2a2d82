import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ExLabError } from '../errors/index.js';
import { zodIssues } from '../schemas/issues.js';

/** Reads and parses a JSON file, then validates it with `schema`; any failure is `cache_file_invalid` naming the file and field. */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  return parseJsonText(path, await readFile(path, 'utf8'), schema);
}

/** Parses the JSON `text` read from `path` and validates it with `schema`, with the errors of {@link readJsonFile}. */
export function parseJsonText<S extends z.ZodType>(path: string, text: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ExLabError('cache_file_invalid', `${path} is not valid JSON: ${(error as Error).message}`, {
      details: { file: path },
      cause: error,
    });
  }
  return parseWithSchema(path, raw, schema);
}

/** Validates already-parsed data read from `path`; the first issue names the field. */
export function parseWithSchema<S extends z.ZodType>(path: string, raw: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  const first = issues[0];
  throw new ExLabError(
    'cache_file_invalid',
    `${path}: ${first ? `${first.path || '(root)'}: ${first.message}` : 'does not match its schema'}`,
    {
      // A problem with the document as a whole has no field to name.
      field: first?.path === '' ? undefined : first?.path,
      details: { file: path, issues },
    },
  );
}
