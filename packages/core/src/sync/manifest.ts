import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_NAMES } from '../constants/index.js';
import { compareCodeUnits } from '../io/order.js';
import { settleBounded, valuesOrFirstError } from '../template/bounded-map.js';

/** SHA-256 digests (lowercase hex) by path relative to the pushed folder, POSIX separators. */
export type HashManifest = Map<string, string>;

/** What a file was when it was hashed; a cleanup deletes it only if it still is (no change since). */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** A folder as the sync sees it: the digests, the identity of each hashed file, and what it cannot carry. */
export interface ScannedFolder {
  digests: HashManifest;
  files: Map<string, FileIdentity>;
  /** Entries that are neither files nor folders (symbolic links, sockets, devices): never pushed, never verified. */
  unsupported: string[];
}

/** Options of {@link scanFolder}. */
export interface ScanOptions {
  /** Top-level folders left out (a project job's run folders). */
  skip?: readonly string[];
  /** Include `.exlab-wizard/`, which is left out by default because it changes after the push. */
  includeCache?: boolean;
  /** Stops the hashing between and inside files. */
  signal?: AbortSignal;
  /** Called as bytes are read, with how many, and with 0 when the listing or a file is done (a progress signal). */
  onBytes?: (count: number) => void;
}

/** Files hashed at once while building a manifest. */
const HASH_CONCURRENCY = 4;

/** The SHA-256 of one file, streamed; aborting `signal` stops the read; `onBytes` hears of each chunk read. */
export async function sha256File(path: string, signal?: AbortSignal, onBytes?: (count: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path);
  if (onBytes) stream.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  await pipeline(stream, hash, signal ? { signal } : {});
  return hash.digest('hex');
}

/**
 * Hashes every regular file under `root` (§7.1.4 step 1), recording each one's identity as it
 * was read, and lists the entries a push cannot carry. `.exlab-wizard/` and the top-level folders
 * in `skip` are left out.
 */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScannedFolder> {
  const skipped = new Set([...(options.includeCache ? [] : [FILE_NAMES.cacheDir]), ...(options.skip ?? [])]);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  options.onBytes?.(0);
  const files: string[] = [];
  const unsupported: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const path = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (skipped.has(path.split('/', 1)[0] ?? '')) continue;
    if (entry.isFile()) files.push(path);
    else unsupported.push(path);
  }
  files.sort();
  unsupported.sort();
  const identities = new Map<string, FileIdentity>();
  const digests = valuesOrFirstError(
    await settleBounded(files, HASH_CONCURRENCY, async (file) => {
      options.signal?.throwIfAborted();
      const absolute = join(root, ...file.split('/'));
      const info = await lstat(absolute);
      identities.set(file, { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs });
      const digest = await sha256File(absolute, options.signal, options.onBytes);
      options.onBytes?.(0);
      return digest;
    }),
  );
  return { digests: new Map(files.map((file, index) => [file, digests[index] as string])), files: identities, unsupported };
}

/** The digests of the files under `root`, as {@link scanFolder} finds them. */
export async function localManifest(root: string, skip: readonly string[] = [], signal?: AbortSignal): Promise<HashManifest> {
  return (await scanFolder(root, { skip, ...(signal ? { signal } : {}) })).digests;
}

/** `checksums.sha256` text: sorted `<hex>  <path>` lines, each ending in a newline (§7.1.4 step 4). */
export function formatChecksums(manifest: HashManifest): string {
  return [...manifest]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([path, digest]) => `${digest}  ${path}\n`)
    .join('');
}

/**
 * Reads `sha256sum`-style lines: a digest, then two spaces (or a space and `*` in binary mode),
 * then the name exactly as written, and the `\`-escaped form sha256sum prints for names with a
 * backslash or a newline. Other lines are skipped. `stripPrefix` is removed from each path (the
 * absolute folder `find` printed).
 */
export function parseChecksums(text: string, stripPrefix = ''): HashManifest {
  const manifest: HashManifest = new Map();
  for (const raw of text.split('\n')) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const escaped = line.startsWith('\\');
    if (escaped) line = line.slice(1);
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) continue;
    let path = match[2] as string;
    if (escaped) path = path.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
    if (stripPrefix !== '') {
      const prefix = stripPrefix.endsWith('/') ? stripPrefix : `${stripPrefix}/`;
      if (!path.startsWith(prefix)) continue;
      path = path.slice(prefix.length);
    }
    manifest.set(path, (match[1] as string).toLowerCase());
  }
  return manifest;
}

/** What a comparison of the local and the remote manifest found. */
export interface ManifestComparison {
  ok: boolean;
  /** Local files the NAS does not have. */
  missing: string[];
  /** Local files whose NAS copy has another digest. */
  differing: string[];
}

/**
 * §7.1.4 step 3 (S6): the push is good when every local file is on the NAS with the same digest;
 * files only the NAS has are ignored. A NAS side with no files at all never verifies a folder
 * that has some (an unreachable or wrong path must not pass as an empty copy).
 */
export function compareManifests(local: HashManifest, remote: HashManifest): ManifestComparison {
  const missing: string[] = [];
  const differing: string[] = [];
  for (const [path, digest] of local) {
    const theirs = remote.get(path);
    if (theirs === undefined) missing.push(path);
    else if (theirs !== digest) differing.push(path);
  }
  return { ok: (remote.size > 0 || local.size === 0) && missing.length === 0 && differing.length === 0, missing, differing };
}
