import { readFile } from 'node:fs/promises';
import { Document, isMap, isNode, isScalar, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { writeFileAtomic } from '../io/index.js';
import { validateConfig, type Config } from '../schemas/config.js';
import { configDigest, configInvalidError, parseConfigText } from './config-loader.js';
import { pairKey } from './yaml-locations.js';

/** Options of {@link saveConfig}. */
export interface SaveConfigOptions {
  /** The text the config was loaded from; when absent the file on disk (if any) is merged into. */
  originalText?: string | undefined;
}

/** What {@link saveConfig} wrote. */
export interface SavedConfig {
  /** The new file text. */
  text: string;
  /** sha256 hex of `text`. */
  digest: string;
}

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

const FRESH_HEADER = [
  ' ExLab-Wizard configuration (design spec section 9).',
  ' The Settings dialog edits this file and keeps comments and key order.',
  ' No secrets belong here: the LIMS password lives in the OS keyring.',
].join('\n');

const WRITE_OPTIONS = { lineWidth: 0 } as const;

function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

function hasCollection(value: Json[] | JsonObject): boolean {
  return Object.values(value).some((item) => item !== null && typeof item === 'object');
}

/** `value` without the mapping entries that equal what `meant` (the defaults) already says. */
function withoutDefaults(value: Json, meant: unknown): Json {
  if (!isJsonObject(value) || !isJsonObject(meant)) return value;
  const kept: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (Object.hasOwn(meant, key) && deepEqual(meant[key], item)) continue;
    kept[key] = withoutDefaults(item, meant[key]);
  }
  return kept;
}

/** A new node for `value` that keeps the comments and spacing of the node it replaces. */
function freshNode(doc: Document, value: Json, old: unknown): unknown {
  const node = doc.createNode(value);
  if (isNode(old)) {
    node.commentBefore = old.commentBefore;
    node.comment = old.comment;
    node.spaceBefore = old.spaceBefore;
  }
  return node;
}

/** Merges `value` into the YAML node `old`; `meant` is what `old` stood for once defaults were applied (undefined if unknown). */
function mergeNode(doc: Document, old: unknown, value: Json, meant: unknown): unknown {
  if (isJsonObject(value)) {
    if (!isMap(old)) return freshNode(doc, value, old);
    mergeMap(doc, old, value, meant);
    return old;
  }
  if (Array.isArray(value)) {
    if (!isSeq(old)) return freshNode(doc, value, old);
    mergeSeq(doc, old, value, meant);
    return old;
  }
  if (isScalar(old)) {
    // Updating the scalar in place keeps its quoting style and trailing comment.
    if (old.value === null && value === null) return old;
    if (old.value !== null && value !== null && typeof old.value === typeof value) {
      old.value = value;
      return old;
    }
  }
  return freshNode(doc, value, old);
}

/** Mappings merge key by key: existing keys keep their place and comments, new keys go last, keys no longer present are removed. */
function mergeMap(doc: Document, map: YAMLMap, value: JsonObject, meant: unknown): void {
  const meantObject = isJsonObject(meant) ? meant : undefined;
  const wasEmpty = map.items.length === 0;
  const existing = new Map(map.items.map((pair) => [pairKey(pair), pair]));
  for (const [key, item] of Object.entries(value)) {
    const pair = existing.get(key);
    if (pair !== undefined) {
      pair.value = mergeNode(doc, pair.value, item, meantObject?.[key]);
      continue;
    }
    // A key the file leaves out keeps being left out while it still equals its default; a changed
    // block is added with only the fields that differ from the defaults.
    const meantValue = meantObject !== undefined && Object.hasOwn(meantObject, key) ? meantObject[key] : undefined;
    if (meantValue !== undefined && deepEqual(meantValue, item)) continue;
    map.add(doc.createPair(key, withoutDefaults(item, meantValue)));
  }
  map.items = map.items.filter((pair) => Object.hasOwn(value, pairKey(pair)));
  if (map.flow && ((wasEmpty && map.items.length > 0) || hasCollection(value))) map.flow = false;
}

function entryId(node: unknown): string | undefined {
  if (!isMap(node)) return undefined;
  const id: unknown = node.get('id');
  return typeof id === 'string' ? id.trim() : undefined;
}

/**
 * Lists are replaced by the new list, but an entry that is unchanged keeps its node (and comments),
 * and a mapping entry with the same `id` (equipment, README fields) is merged into its old node.
 */
function mergeSeq(doc: Document, seq: YAMLSeq, value: Json[], meant: unknown): void {
  const meantItems = Array.isArray(meant) ? (meant as unknown[]) : undefined;
  const oldItems: unknown[] = seq.items;
  const wasEmpty = oldItems.length === 0;
  const used = new Set<number>();
  const oldValue = (index: number): unknown => {
    if (meantItems !== undefined) return meantItems[index];
    const node = oldItems[index];
    return isNode(node) ? node.toJS(doc) : node;
  };
  const unused = (predicate: (index: number) => boolean): number => oldItems.findIndex((_, index) => !used.has(index) && predicate(index));
  seq.items = value.map((item) => {
    let index = unused((k) => deepEqual(oldValue(k), item));
    if (index >= 0) {
      used.add(index);
      return oldItems[index];
    }
    const id = isJsonObject(item) && typeof item.id === 'string' ? item.id : undefined;
    index = id === undefined ? -1 : unused((k) => entryId(oldItems[k]) === id);
    if (index >= 0) {
      used.add(index);
      return mergeNode(doc, oldItems[index], item, meantItems?.[index]);
    }
    return doc.createNode(item);
  });
  if (seq.flow && ((wasEmpty && value.length > 0) || hasCollection(value))) seq.flow = false;
}

function freshText(value: JsonObject, header: string = FRESH_HEADER): string {
  const doc = new Document(value);
  doc.commentBefore = header;
  if (isMap(doc.contents)) {
    doc.contents.items.forEach((pair, index) => {
      if (index > 0 && isNode(pair.key)) pair.key.spaceBefore = true;
    });
  }
  return doc.toString(WRITE_OPTIONS);
}

function mergedText(value: JsonObject, originalText: string): string | undefined {
  const doc = parseDocument(originalText);
  if (doc.errors.length > 0) return undefined;
  if (doc.contents === null) {
    // Only comments so far: keep them above a clean file.
    const comments = [doc.commentBefore, doc.comment].filter((c): c is string => typeof c === 'string' && c !== '');
    return freshText(value, comments.length > 0 ? comments.join('\n') : FRESH_HEADER);
  }
  if (!isMap(doc.contents)) return undefined;
  let meant: unknown;
  try {
    const original = validateConfig(doc.toJS());
    meant = original.success ? original.data : undefined;
  } catch {
    meant = undefined;
  }
  const top = doc.contents;
  const before = new Set(top.items);
  mergeMap(doc, top, value, meant);
  // New top-level blocks are set off by a blank line like the others.
  top.items.forEach((pair, index) => {
    if (index > 0 && !before.has(pair) && isNode(pair.key)) pair.key.spaceBefore = true;
  });
  return doc.toString(WRITE_OPTIONS);
}

function reloadsAs(text: string, expected: Config): boolean {
  try {
    return deepEqual(parseConfigText(text).config, expected);
  } catch {
    return false;
  }
}

/**
 * The YAML text for `config`. With `originalText` (a mapping that parses) the config is merged
 * into it so comments and key order survive; otherwise a clean block-style file is produced.
 * Throws `config_invalid` when `config` breaks the schema.
 */
export function renderConfigText(config: Config, originalText?: string, file?: string): string {
  const result = validateConfig(config);
  if (!result.success)
    throw configInvalidError(
      result.issues.map((issue) => ({ file, path: issue.path, message: issue.message })),
      file,
    );
  // JSON round trip: a plain tree without undefined-valued keys.
  const value = JSON.parse(JSON.stringify(result.data)) as JsonObject;
  if (originalText !== undefined && originalText.trim() !== '') {
    const merged = mergedText(value, originalText);
    // Never write a merge that would not reload as exactly this config; fall back to a clean file.
    if (merged !== undefined && reloadsAs(merged, result.data)) return merged;
  }
  return freshText(value);
}

/**
 * Writes `config` to `file` atomically (parent directories are created). The original text, or
 * else the file already on disk, is merged into so comments and key order survive.
 */
export async function saveConfig(file: string, config: Config, options: SaveConfigOptions = {}): Promise<SavedConfig> {
  const originalText = options.originalText ?? (await readFile(file, 'utf8').catch(() => undefined));
  const text = renderConfigText(config, originalText, file);
  await writeFileAtomic(file, text, { mkdirs: true });
  return { text, digest: configDigest(text) };
}
