/**
 * `manifest.yml` of a plugin (§6.1.2, requirements A2): parsed as YAML 1.1 (PyYAML booleans)
 * and checked rule by rule in a fixed order; the first broken rule rejects the plugin with a
 * reason that names the field.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FILE_NAMES, PLUGIN_API_VERSIONS, PLUGIN_LIMITS, PLUGIN_NAME_PATTERN } from '../constants/index.js';

/** A loaded plugin manifest with every default applied. */
export interface PluginManifest {
  name: string;
  version: string;
  author?: string | undefined;
  description?: string | undefined;
  /** Extensions (`.xlsx`) or, for files without one, whole base names; matched case-insensitively. */
  supported_extensions: string[];
  api_version: string;
  required_variables: string[];
  optional_variables: string[];
  isolation: PluginIsolation;
}

/** The manifest's execution policy. */
export interface PluginIsolation {
  timeout_seconds: number;
  memory_mb: number;
  network: boolean;
}

/** Why a manifest was rejected, in the order the rules run (A2). */
export const MANIFEST_REJECTION_CODES = [
  'manifest_missing',
  'manifest_bad_yaml',
  'manifest_field_missing',
  'manifest_bad_name',
  'manifest_api_version',
  'manifest_bad_extensions',
  'manifest_bad_isolation',
  'manifest_timeout_out_of_range',
  'manifest_memory_out_of_range',
  'plugin_network_declined',
  'manifest_readme_extension',
  'manifest_bad_field',
  /** Not a manifest rule: two folders of one root declare the same name (the later one is refused). */
  'plugin_duplicate_name',
] as const;
/** A manifest rejection code. */
export type ManifestRejectionCode = (typeof MANIFEST_REJECTION_CODES)[number];

/** A rejected manifest: the rule, the field it concerns and a sentence naming both. */
export interface ManifestRejection {
  code: ManifestRejectionCode;
  /** Dotted field, when the rule is about one. */
  field?: string | undefined;
  reason: string;
  /** The manifest's `name` when it could be read. */
  name?: string | undefined;
}

/** Outcome of {@link parseManifest} / {@link loadManifest}. */
export type ManifestResult = { ok: true; manifest: PluginManifest; warnings: string[] } | { ok: false; rejection: ManifestRejection };

/** Options of {@link parseManifest}. */
export interface ManifestOptions {
  /** config.yaml `plugins.allow_network`: without it a plugin declaring `network: true` is refused (§6.3.3). */
  allowNetwork?: boolean | undefined;
}

const REQUIRED_FIELDS = ['name', 'version', 'supported_extensions', 'api_version'] as const;

function reject(code: ManifestRejectionCode, reason: string, field?: string, name?: string): ManifestResult {
  return { ok: false, rejection: { code, reason, field, name } };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** A positive integer within `max`, else the reason it is not. */
function capProblem(value: unknown, field: string, max: number, unit: string): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return `${field} must be a whole number of ${unit} of at least 1`;
  if (value > max) return `${field} is ${value}; at most ${max} ${unit} are allowed`;
  return null;
}

/** Checks manifest text against every A2 rule, in order. */
export function parseManifest(text: string, options: ManifestOptions = {}): ManifestResult {
  // Rule 2: YAML 1.1, so `yes`/`no`/`on`/`off` read as PyYAML reads them.
  let data: unknown;
  try {
    data = parse(text, { version: '1.1' });
  } catch (error) {
    return reject(
      'manifest_bad_yaml',
      `${FILE_NAMES.pluginManifest} is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isMap(data)) return reject('manifest_bad_yaml', `${FILE_NAMES.pluginManifest} must be a YAML mapping of fields`);

  // Rule 3: required fields.
  for (const field of REQUIRED_FIELDS) {
    const value = data[field];
    if (value === undefined || value === null || value === '')
      return reject('manifest_field_missing', `required field "${field}" is missing`, field);
  }

  // Rule 4: name.
  const name = data.name;
  if (typeof name !== 'string' || !PLUGIN_NAME_PATTERN.test(name)) {
    return reject('manifest_bad_name', `name ${JSON.stringify(name)} must be letters, digits, "_" and "-" only`, 'name');
  }

  // Rule 5: api_version gating.
  const apiVersion = String(data.api_version);
  if (!(PLUGIN_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return reject(
      'manifest_api_version',
      `api_version "${apiVersion}" is not supported; this host loads ${PLUGIN_API_VERSIONS.map((v) => `"${v}"`).join(', ')}`,
      'api_version',
      name,
    );
  }

  // Rule 6: extensions.
  const extensions = data.supported_extensions;
  if (!isStringList(extensions) || extensions.length === 0 || extensions.some((e) => e.trim() === '')) {
    return reject(
      'manifest_bad_extensions',
      'supported_extensions must be a non-empty list of strings such as [".txt"]',
      'supported_extensions',
      name,
    );
  }

  // Rule 7: isolation is a map (absent means defaults).
  const isolationRaw = data.isolation ?? {};
  if (!isMap(isolationRaw)) return reject('manifest_bad_isolation', 'isolation must be a mapping', 'isolation', name);

  // Rules 8 and 9: caps, inclusive; non-integers are refused (A2 ⚠).
  const timeout = isolationRaw.timeout_seconds ?? PLUGIN_LIMITS.defaultTimeoutSeconds;
  const timeoutProblem = capProblem(timeout, 'isolation.timeout_seconds', PLUGIN_LIMITS.maxTimeoutSeconds, 'seconds');
  if (timeoutProblem !== null) return reject('manifest_timeout_out_of_range', timeoutProblem, 'isolation.timeout_seconds', name);
  const memory = isolationRaw.memory_mb ?? PLUGIN_LIMITS.defaultMemoryMb;
  const memoryProblem = capProblem(memory, 'isolation.memory_mb', PLUGIN_LIMITS.maxMemoryMb, 'MB');
  if (memoryProblem !== null) return reject('manifest_memory_out_of_range', memoryProblem, 'isolation.memory_mb', name);

  // Rule 10: network must be a real boolean; true needs the operator's opt-in.
  const network = isolationRaw.network ?? false;
  if (typeof network !== 'boolean') {
    return reject(
      'manifest_bad_isolation',
      `isolation.network must be true or false, not ${JSON.stringify(network)}`,
      'isolation.network',
      name,
    );
  }
  if (network && options.allowNetwork !== true) {
    return reject(
      'plugin_network_declined',
      'isolation.network is true but config.yaml plugins.allow_network is false; the plugin is not loaded',
      'isolation.network',
      name,
    );
  }

  // Rule 11: the README hook is gone (§6.1.5).
  if (extensions.some((e) => e.toLowerCase() === 'readme')) {
    return reject(
      'manifest_readme_extension',
      'supported_extensions must not contain "readme": plugins may not touch README.md',
      'supported_extensions',
      name,
    );
  }

  // Types of the optional fields.
  for (const field of ['required_variables', 'optional_variables'] as const) {
    const value = data[field];
    if (value !== undefined && value !== null && !isStringList(value)) {
      return reject('manifest_bad_field', `${field} must be a list of variable names`, field, name);
    }
  }
  for (const field of ['author', 'description'] as const) {
    const value = data[field];
    if (value !== undefined && value !== null && typeof value !== 'string')
      return reject('manifest_bad_field', `${field} must be text`, field, name);
  }
  const version = data.version;
  if (typeof version !== 'string' && typeof version !== 'number')
    return reject('manifest_bad_field', 'version must be text such as "0.1.0"', 'version', name);

  const warnings: string[] = [];
  if ((memory as number) < PLUGIN_LIMITS.lowMemoryWarnMb) {
    warnings.push(`isolation.memory_mb is ${memory as number}; a Node worker alone uses about 42 MB, so the plugin may be stopped early`);
  }
  const manifest: PluginManifest = {
    name,
    version: String(version),
    supported_extensions: [...extensions],
    api_version: apiVersion,
    required_variables: [...((data.required_variables as string[] | null | undefined) ?? [])],
    optional_variables: [...((data.optional_variables as string[] | null | undefined) ?? [])],
    isolation: { timeout_seconds: timeout as number, memory_mb: memory as number, network },
  };
  if (typeof data.author === 'string') manifest.author = data.author;
  if (typeof data.description === 'string') manifest.description = data.description;
  return { ok: true, manifest, warnings };
}

/** Reads and checks `<dir>/manifest.yml`; a missing file is rule 1. */
export async function loadManifest(dir: string, options: ManifestOptions = {}): Promise<ManifestResult> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE_NAMES.pluginManifest), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return reject('manifest_missing', `no ${FILE_NAMES.pluginManifest} in ${dir}`);
    return reject('manifest_missing', `${FILE_NAMES.pluginManifest} in ${dir} cannot be read: ${(error as Error).message}`);
  }
  return parseManifest(text, options);
}
