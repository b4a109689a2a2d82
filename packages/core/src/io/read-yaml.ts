// Apart from read.ts so that the JSON readers (server.json, status.json) do not load the YAML parser.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ExLabError } from '../errors/index.js';
import { parseWithSchema } from './read.js';

/** Reads and parses a YAML file (YAML 1.2 core schema), then validates it with `schema`. */
export async function readYamlFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ExLabError('cache_file_invalid', `${path} is not valid YAML: ${(error as Error).message}`, {
      details: { file: path },
      cause: error,
    });
  }
  return parseWithSchema(path, raw, schema);
}
