import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { FILE_NAMES } from '../constants/index.js';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { defaultConfig, validateConfig, type Config } from '../schemas/config.js';
import { locateInYaml } from './yaml-locations.js';

/** A parsed config.yaml together with the exact text it came from. */
export interface LoadedConfig {
  /** The validated config with every default applied. */
  config: Config;
  /** The file's text, for a comment-preserving save. */
  text: string;
  /** sha256 hex of `text`: tells a reader whether the file changed since it was loaded. */
  digest: string;
}

/** sha256 hex digest of config text (UTF-8). */
export function configDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** One line per issue: `file:line:column path: message`. */
export function formatConfigIssue(issue: ConfigIssue, fallbackFile: string = FILE_NAMES.config): string {
  const file = issue.file ?? fallbackFile;
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path === '' ? '(top level)' : issue.path}: ${issue.message}`;
}

/** A ConfigError (`config_invalid`) whose message lists every issue, one per line. */
export function configInvalidError(issues: readonly ConfigIssue[], file: string | undefined, cause?: unknown): ConfigError {
  const name = file ?? FILE_NAMES.config;
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => `  ${formatConfigIssue(issue, name)}`);
  return new ConfigError(`${name} is not a valid configuration (${count}):\n${lines.join('\n')}`, issues, {
    code: 'config_invalid',
    details: { file: name },
    cause,
  });
}

/** The first line of a yaml library error, without the position it also reports separately. */
function yamlErrorMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parses and validates config.yaml text (YAML 1.2 core schema). An empty document gives all
 * defaults. Bad YAML, a top level that is not a mapping, or any schema problem throws
 * `config_invalid` listing every issue with its 1-based line and column.
 */
export function parseConfigText(text: string, file?: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error): ConfigIssue => {
      const position = error.linePos?.[0];
      return { file, line: position?.line, column: position?.col, path: '', message: `not valid YAML: ${yamlErrorMessage(error)}` };
    });
    throw configInvalidError(issues, file);
  }
  const digest = configDigest(text);
  if (doc.contents === null) return { config: defaultConfig(), text, digest };
  if (!isMap(doc.contents)) {
    const position = locateInYaml(doc, lineCounter, []);
    throw configInvalidError(
      [
        {
          file,
          line: position?.line,
          column: position?.column,
          path: '',
          message: 'the top level must be a mapping of blocks (paths:, lims:, equipment:, ...)',
        },
      ],
      file,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    throw configInvalidError([{ file, path: '', message: `cannot be read as data: ${(error as Error).message}` }], file, error);
  }
  const result = validateConfig(raw);
  if (result.success) return { config: result.data, text, digest };
  const issues = result.issues.map((issue): ConfigIssue => {
    const position = locateInYaml(doc, lineCounter, issue.loc, issue.code === 'unrecognized_keys');
    return { file, line: position?.line, column: position?.column, path: issue.path, message: issue.message };
  });
  throw configInvalidError(issues, file);
}

/**
 * Reads and validates config.yaml at `file`. A missing file is `config_not_found`; an unreadable
 * file, bad YAML or a schema problem is `config_invalid` (see {@link parseConfigText}).
 */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`No configuration file at ${file}; complete setup in Settings to create it.`, [], {
        code: 'config_not_found',
        details: { file },
        cause: error,
      });
    }
    const reason =
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw configInvalidError([{ file, path: '', message: `cannot be read: ${reason}` }], file, error);
  }
  return parseConfigText(text, file);
}
