import { join } from 'node:path';
import type { Dirent } from 'node:fs';
import { isOverrideActive, parseCreationJson } from '../cache/index.js';
import { FILE_NAMES } from '../constants/index.js';
import { ExLabError, SchemaMajorMismatchError } from '../errors/index.js';
import type { CreationJson } from '../schemas/index.js';
import type { FindingDraft, FindingOwner } from './finding-draft.js';
import { readTextFile } from './file-read.js';
import { MEMO_MAX_CHARS, TextMemo } from './memo.js';

/**
 * The part of a creation.json the audit's rules read: its sync status and overrides (who owns a
 * finding), run kind (mode prefix) and template (required README fields). Only this is kept
 * between audits, so a worker's memory grows with the number of runs by a few hundred bytes each.
 */
export type AuditedCreation = Pick<CreationJson, 'sync_status' | 'validation_overrides' | 'run_kind' | 'template'>;

/** A folder's creation.json as the audit found it: loaded, or why it is an orphan (§8.1.4, core.md H7). */
export type CreationRecord =
  | { state: 'loaded'; creation: AuditedCreation }
  | { state: 'missing' }
  | { state: 'unreadable'; code: string }
  | { state: 'not_json' }
  | { state: 'schema_invalid'; problem: string }
  | { state: 'schema_major_mismatch'; found: string };

function hasCacheFolder(entries: readonly Dirent[]): boolean {
  return entries.some((entry) => entry.name === FILE_NAMES.cacheDir && entry.isDirectory());
}

// The reader's first located issue (`sync_status: Invalid option ...`), else its message without the file name.
function firstIssue(error: ExLabError, file: string): string {
  const issues = error.details?.issues;
  const first: unknown = Array.isArray(issues) ? issues[0] : undefined;
  if (first !== null && typeof first === 'object' && 'message' in first) {
    const { path, message } = first as { path?: unknown; message?: unknown };
    return `${typeof path === 'string' && path !== '' ? path : '(root)'}: ${String(message)}`;
  }
  return error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
}

/**
 * Reads `<dir>/.exlab-wizard/creation.json` once, migrating an older minor before the schema
 * check (parseCreationJson), so a 1.0 file loads as experimental. `entries` is the folder's
 * listing: without a `.exlab-wizard` folder the file is missing and nothing is opened.
 */
export function loadCreationRecord(dir: string, entries: readonly Dirent[]): CreationRecord {
  if (!hasCacheFolder(entries)) return { state: 'missing' };
  const file = join(dir, FILE_NAMES.cacheDir, FILE_NAMES.creation);
  const read = readTextFile(file, Number.POSITIVE_INFINITY);
  if (read.kind === 'missing') return { state: 'missing' };
  if (read.kind === 'failed') return { state: 'unreadable', code: read.code };
  if (read.kind !== 'text') return { state: 'not_json' };
  return parsedRecords.get(file, read.text, () => parseRecord(file, read.text));
}

// Parsed records by file and text: a periodic audit re-reads mostly unchanged files. The records are never mutated.
const parsedRecords = new TextMemo<CreationRecord>(MEMO_MAX_CHARS);

function parseRecord(file: string, text: string): CreationRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { state: 'not_json' };
  }
  try {
    const { sync_status, validation_overrides, run_kind, template } = parseCreationJson(raw, file);
    return { state: 'loaded', creation: { sync_status, validation_overrides, run_kind, template } };
  } catch (error) {
    if (error instanceof SchemaMajorMismatchError) {
      const found = error.details?.found;
      return { state: 'schema_major_mismatch', found: typeof found === 'string' ? `"${found}"` : '(missing)' };
    }
    if (error instanceof ExLabError) return { state: 'schema_invalid', problem: firstIssue(error, file) };
    // The audit never throws (core.md I): anything else the reader raises still makes an orphan.
    return { state: 'schema_invalid', problem: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The orphan finding of a project or run folder whose creation.json did not load. A newer-major
 * file is an orphan too (this reader cannot know what it records), with rule_detail naming
 * schema_major_mismatch so the operator can tell it from a folder made by hand.
 */
export function orphanDraft(dir: string, level: 'project' | 'run', record: Exclude<CreationRecord, { state: 'loaded' }>): FindingDraft {
  const folder = level === 'project' ? 'Project folder' : 'Run folder';
  const file = `${FILE_NAMES.cacheDir}/${FILE_NAMES.creation}`;
  let detail: string;
  switch (record.state) {
    case 'missing':
      detail = `${folder} has no ${file}; it was not created by ExLab-Wizard, or its cache write failed.`;
      break;
    case 'unreadable':
      detail = `${folder}'s ${file} could not be read (${record.code}).`;
      break;
    case 'not_json':
      detail = `${folder}'s ${file} is not valid JSON.`;
      break;
    case 'schema_invalid':
      detail = `${folder}'s ${file} does not match the creation.json schema (${record.problem}).`;
      break;
    case 'schema_major_mismatch':
      detail = `schema_major_mismatch: ${folder}'s ${file} has schema_version ${record.found}; this version of ExLab-Wizard reads major version 1 only, so the folder's provenance cannot be read.`;
      break;
  }
  return { rule: 'orphan', offending_path: dir, offending_kind: 'directory_segment', matched_token: null, rule_detail: detail };
}

/** The owner of findings in a folder with a loaded creation.json: its sync status and active overrides at `now`. */
export function creationOwner(dir: string, creation: AuditedCreation, now: Date): FindingOwner {
  const synced = creation.sync_status === 'synced' || creation.sync_status === 'cleaned';
  return { runPath: dir, synced, overridden: (rule) => isOverrideActive(creation.validation_overrides, rule, now) };
}
