import { createHash } from 'node:crypto';
import { lstat, readdir, stat, type Dirent, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { RUN_KIND_FOLDER, TIMINGS } from '@exlab/core/constants';
import { equipmentDir } from '@exlab/core/paths';
import type { Config, TreeResponse } from '@exlab/core/schemas';

/** One `GET /tree` answer: the JSON bytes and their strong ETag. */
export interface TreeAnswer {
  body: Buffer;
  etag: string;
}

/** A folder whose subfolders the tree lists, as last read. */
interface Listing {
  /** The folder's identity and timestamps when it was read (or the error it gave). */
  signature: Signature;
  /** False when it changed too recently for equal timestamps to prove it has not changed since. */
  settled: boolean;
  /** Its visible subfolders, sorted. */
  names: readonly string[];
}

interface ProjectState {
  name: string;
  path: string;
  /** The experimental and test run folders, in that order. */
  folders: [Listing, Listing];
}

interface EquipmentState {
  id: string;
  label: string;
  path: string;
  exists: boolean;
  listing: Listing;
  projects: ProjectState[];
}

const RUN_KINDS = ['experimental', 'test'] as const;

/** Device, inode, mode, mtime and ctime of a folder, or the code of the error its stat gave. */
export type Signature = readonly [number, number, number, number, number] | string;

/** A listing that is never trusted: the folder is read at the next check. */
const UNREAD: Listing = { signature: '', settled: false, names: [] };

/**
 * `join(dir, name)` for a single readdir name under an already normalised `dir`: the same string
 * without `join` re-normalising the whole path, which on a 10k-run tree was over half its cost.
 */
function childPath(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/** One stat result: the stats or the error. */
export type StatResult = Stats | NodeJS.ErrnoException;

/** Stats every path side by side (callbacks, not one promise each: a check stats a thousand folders). */
function statAll(paths: readonly string[], follow: boolean): Promise<StatResult[]> {
  const results: StatResult[] = new Array<StatResult>(paths.length);
  if (paths.length === 0) return Promise.resolve(results);
  const call = follow ? stat : lstat;
  return new Promise((resolve) => {
    let pending = paths.length;
    paths.forEach((path, index) => {
      call(path, (error, stats) => {
        results[index] = error ?? stats;
        if (--pending === 0) resolve(results);
      });
    });
  });
}

/** The visible subfolders of every path, sorted; a folder that cannot be read has none. */
function listAll(paths: readonly string[]): Promise<string[][]> {
  const results: string[][] = new Array<string[]>(paths.length);
  if (paths.length === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    let pending = paths.length;
    paths.forEach((path, index) => {
      readdir(path, { withFileTypes: true }, (error, entries: Dirent[]) => {
        results[index] =
          error === null
            ? entries
                .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
                .map((entry) => entry.name)
                .sort()
            : [];
        if (--pending === 0) resolve(results);
      });
    });
  });
}

/**
 * What a folder looked like to a stat made at or after `checkedAt`. Any change to its entries
 * moves its mtime; an mtime within {@link TIMINGS.treeRecentChangeMs} of the check is not trusted,
 * as a second change within the same timestamp tick would leave it equal.
 */
export function signatureOf(result: StatResult, checkedAt: number): { signature: Signature; settled: boolean } {
  if (result instanceof Error) return { signature: result.code ?? result.message, settled: true };
  const recent = checkedAt - TIMINGS.treeRecentChangeMs;
  return {
    signature: [result.dev, result.ino, result.mode, result.mtimeMs, result.ctimeMs],
    settled: result.mtimeMs < recent && result.ctimeMs < recent,
  };
}

/** Whether a folder still looks as it did when `listing` was read and that reading can be trusted. */
function unchanged(listing: Listing, signature: Signature): boolean {
  if (!listing.settled) return false;
  const known = listing.signature;
  if (typeof known === 'string' || typeof signature === 'string') return known === signature;
  return known.every((value, index) => value === signature[index]);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** The parts of the config the tree depends on. */
function treeKeyOf(config: Config): string {
  return JSON.stringify([config.paths.local_root, config.equipment.map((entry) => [entry.id, entry.label, entry.local_root ?? null])]);
}

/**
 * The `GET /tree` answer, kept between requests and checked against the disk on every refresh:
 * each listed folder (equipment folders, and every project's run folders) is stat'ed, and only
 * the ones whose identity or timestamps moved, or that changed too recently to judge, are read
 * again. The JSON and its ETag are rebuilt only when a listing changed. A refresh therefore sees
 * every change made before it started, by the controller or by anyone on disk, at the price of
 * one stat per listed folder instead of one read per folder plus a 1.5 MB encoding.
 */
export class TreeSnapshot {
  #key: string | null = null;
  #equipment: EquipmentState[] = [];
  #answer: TreeAnswer | null = null;

  /** Checks the listed folders against the disk and answers the tree for `config`. */
  async refresh(config: Config): Promise<TreeAnswer> {
    try {
      return await this.#refresh(config);
    } catch (error) {
      // A check that failed half-way leaves nothing to trust: the next one reads everything.
      this.#key = null;
      throw error;
    }
  }

  async #refresh(config: Config): Promise<TreeAnswer> {
    const key = treeKeyOf(config);
    if (key !== this.#key) {
      this.#key = key;
      this.#equipment = [];
      this.#answer = null;
    }
    let changed = this.#answer === null;

    // Equipment folders: the projects they hold.
    const before = new Map(this.#equipment.map((entry) => [entry.id, entry]));
    const paths = config.equipment.map((entry) => equipmentDir(config, entry.id) ?? join(config.paths.local_root, entry.id));
    const equipmentCheckedAt = Date.now();
    const equipmentStats = await statAll(paths, false);
    const toList: EquipmentState[] = [];
    this.#equipment = config.equipment.map((entry, index) => {
      const path = paths[index] ?? '';
      const result = equipmentStats[index] as StatResult;
      const { signature, settled } = signatureOf(result, equipmentCheckedAt);
      const known = before.get(entry.id);
      if (known !== undefined && known.path === path && unchanged(known.listing, signature)) return known;
      const exists = !(result instanceof Error) && result.isDirectory();
      const state: EquipmentState = {
        id: entry.id,
        label: entry.label,
        path,
        exists,
        listing: { signature, settled, names: [] },
        projects: known?.path === path ? known.projects : [],
      };
      if (known?.exists !== exists) changed = true;
      if (exists) toList.push(state);
      else if (state.projects.length > 0) {
        state.projects = [];
        changed = true;
      }
      return state;
    });
    const projectNames = await listAll(toList.map((entry) => entry.path));
    toList.forEach((entry, index) => {
      const names = projectNames[index] ?? [];
      if (
        !sameNames(
          names,
          entry.projects.map((project) => project.name),
        )
      )
        changed = true;
      const known = new Map(entry.projects.map((project) => [project.name, project]));
      entry.listing = { ...entry.listing, names };
      entry.projects = names.map(
        (name) => known.get(name) ?? { name, path: childPath(entry.path, name), folders: [UNREAD, UNREAD] as [Listing, Listing] },
      );
    });

    // Run folders: the runs of each project.
    const folders: { project: ProjectState; kind: 0 | 1; path: string }[] = [];
    for (const entry of this.#equipment)
      for (const project of entry.projects)
        RUN_KINDS.forEach((kind, index) =>
          folders.push({ project, kind: index as 0 | 1, path: childPath(project.path, RUN_KIND_FOLDER[kind]) }),
        );
    const folderCheckedAt = Date.now();
    const folderStats = await statAll(
      folders.map((folder) => folder.path),
      true,
    );
    const toRead: { project: ProjectState; kind: 0 | 1; path: string; signature: Signature; settled: boolean }[] = [];
    folders.forEach((folder, index) => {
      const known = folder.project.folders[folder.kind];
      const { signature, settled } = signatureOf(folderStats[index] as StatResult, folderCheckedAt);
      if (unchanged(known, signature)) return;
      toRead.push({ ...folder, signature, settled });
    });
    const runNames = await listAll(toRead.map((folder) => folder.path));
    toRead.forEach((folder, index) => {
      const names = runNames[index] ?? [];
      const known = folder.project.folders[folder.kind];
      if (!sameNames(names, known.names)) changed = true;
      folder.project.folders[folder.kind] = { signature: folder.signature, settled: folder.settled, names };
    });

    if (!changed && this.#answer !== null) return this.#answer;
    const body = Buffer.from(JSON.stringify(this.#treeResponse()));
    this.#answer = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    return this.#answer;
  }

  #treeResponse(): TreeResponse {
    return {
      equipment: this.#equipment.map((entry) => ({
        id: entry.id,
        label: entry.label,
        path: entry.path,
        exists: entry.exists,
        projects: entry.projects.map((project) => {
          const runs: TreeResponse['equipment'][number]['projects'][number]['runs'] = [];
          RUN_KINDS.forEach((kind, index) => {
            const folder = childPath(project.path, RUN_KIND_FOLDER[kind]);
            for (const name of project.folders[index as 0 | 1].names) runs.push({ name, path: childPath(folder, name), run_kind: kind });
          });
          return { name: project.name, path: project.path, runs };
        }),
      })),
    };
  }
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const wanted = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === wanted) return true;
  }
  return false;
}
