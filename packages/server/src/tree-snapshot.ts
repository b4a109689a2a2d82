import { createHash } from 'node:crypto';
import { lstat, readdir, type Dirent } from 'node:fs';
import { join, sep } from 'node:path';
import { RUN_KIND_FOLDER, TIMINGS } from '@exlab/core/constants';
import { equipmentDir } from '@exlab/core/paths';
import type { Config, TreeResponse } from '@exlab/core/schemas';
import { FolderStats, type FolderStat } from './folder-stats.js';

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
  folderPaths: readonly [string, string];
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

/** The lstat of each equipment folder: whether it is a folder, and what it looked like. */
function lstatAll(paths: readonly string[]): Promise<{ isFolder: boolean; stat: FolderStat }[]> {
  const results = new Array<{ isFolder: boolean; stat: FolderStat }>(paths.length);
  if (paths.length === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    let pending = paths.length;
    paths.forEach((path, index) => {
      lstat(path, (error, stats) => {
        results[index] =
          error === null
            ? {
                isFolder: stats.isDirectory(),
                stat: { dev: stats.dev, ino: stats.ino, mode: stats.mode, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs },
              }
            : { isFolder: false, stat: { code: error.code ?? error.message } };
        pending -= 1;
        if (pending === 0) resolve(results);
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
export function signatureOf(result: FolderStat, checkedAt: number): { signature: Signature; settled: boolean } {
  if ('code' in result) return { signature: result.code, settled: true };
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

function newProject(equipmentPath: string, name: string): ProjectState {
  const path = childPath(equipmentPath, name);
  return {
    name,
    path,
    folderPaths: [childPath(path, RUN_KIND_FOLDER.experimental), childPath(path, RUN_KIND_FOLDER.test)],
    folders: [UNREAD, UNREAD],
  };
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
  readonly #stats = new FolderStats();
  /** Every project's run folders, in tree order, with where each belongs; rebuilt when the projects change. */
  #folders: { paths: string[]; owners: { project: ProjectState; kind: 0 | 1 }[] } | null = null;

  /** Stops the worker the checks use. */
  close(): Promise<void> {
    return this.#stats.close();
  }

  /** Checks the listed folders against the disk and answers the tree for `config`. */
  async refresh(config: Config): Promise<TreeAnswer> {
    try {
      return await this.#refresh(config);
    } catch (error) {
      // A check that failed half-way leaves nothing to trust: the next one reads everything.
      this.#key = null;
      this.#folders = null;
      throw error;
    }
  }

  async #refresh(config: Config): Promise<TreeAnswer> {
    const key = treeKeyOf(config);
    if (key !== this.#key) {
      this.#key = key;
      this.#equipment = [];
      this.#answer = null;
      this.#folders = null;
    }
    let changed = this.#answer === null;

    // Equipment folders: the projects they hold.
    const before = new Map(this.#equipment.map((entry) => [entry.id, entry]));
    const paths = config.equipment.map((entry) => equipmentDir(config, entry.id) ?? join(config.paths.local_root, entry.id));
    const equipmentCheckedAt = Date.now();
    const equipmentStats = await lstatAll(paths);
    const toList: EquipmentState[] = [];
    let projectsMoved = this.#folders === null;
    this.#equipment = config.equipment.map((entry, index) => {
      const path = paths[index] ?? '';
      const result = equipmentStats[index] ?? { isFolder: false, stat: { code: 'ENOENT' } };
      const { signature, settled } = signatureOf(result.stat, equipmentCheckedAt);
      const known = before.get(entry.id);
      if (known !== undefined && known.path === path && unchanged(known.listing, signature)) return known;
      const exists = result.isFolder;
      const state: EquipmentState = {
        id: entry.id,
        label: entry.label,
        path,
        exists,
        listing: { signature, settled, names: [] },
        projects: known?.path === path ? known.projects : [],
      };
      projectsMoved = true;
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
      entry.projects = names.map((name) => known.get(name) ?? newProject(entry.path, name));
    });
    if (projectsMoved) this.#folders = this.#folderList();

    // Run folders: the runs of each project.
    const folders = this.#folders ?? this.#folderList();
    const folderCheckedAt = Date.now();
    const folderStats = await this.#stats.stat(folders.paths);
    const toRead: { project: ProjectState; kind: 0 | 1; path: string; signature: Signature; settled: boolean }[] = [];
    folders.owners.forEach(({ project, kind }, index) => {
      const { signature, settled } = signatureOf(folderStats[index] ?? { code: 'ENOENT' }, folderCheckedAt);
      if (unchanged(project.folders[kind], signature)) return;
      toRead.push({ project, kind, path: project.folderPaths[kind], signature, settled });
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

  #folderList(): { paths: string[]; owners: { project: ProjectState; kind: 0 | 1 }[] } {
    const paths: string[] = [];
    const owners: { project: ProjectState; kind: 0 | 1 }[] = [];
    for (const entry of this.#equipment)
      for (const project of entry.projects)
        for (const kind of [0, 1] as const) {
          paths.push(project.folderPaths[kind]);
          owners.push({ project, kind });
        }
    return { paths, owners };
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
            const folder = project.folderPaths[index as 0 | 1];
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
