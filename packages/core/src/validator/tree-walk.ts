import type { Dirent } from 'node:fs';
import { basename, dirname, sep } from 'node:path';
import { FILE_NAMES, type RunKind } from '../constants/index.js';
import { checkProjectName } from '../paths/index.js';
import type { CreationJson, Finding } from '../schemas/index.js';
import { extensionOf, isScanCandidate, scanText, type ContentScanLimits } from './content-scan.js';
import { creationOwner, loadCreationRecord, orphanDraft } from './creation-record.js';
import { errorCode, listDirectory, readTextFile } from './file-read.js';
import { bareOwner, completeFinding, type FindingDraft, type FindingOwner } from './finding-draft.js';
import { childRole, type FolderRole } from './levels.js';
import { MEMO_MAX_CHARS, TextMemo } from './memo.js';
import { modePrefixHits } from './mode-prefix-rule.js';
import { nameFindings } from './name-findings.js';
import { missingFieldDrafts, type RequiredFieldResolver } from './required-fields.js';

/** Counters of one audit walk; deterministic for a given tree. */
export interface AuditStats {
  /** Folders listed (equipment folders and everything below them, `.exlab-wizard` excluded). */
  directories: number;
  /** Non-folder entries seen (symlinks excluded). */
  files: number;
  /** Run folders found, orphans included. */
  runs: number;
  /** Project folders found, orphans included. */
  projects: number;
  /** Files whose text was scanned (allowlisted, small enough, not binary). */
  content_scanned: number;
  /** Symbolic links, never followed. */
  skipped_symlinks: number;
  /** Folders that could not be listed and files that could not be read for the scan. */
  unreadable: number;
}

/**
 * One share of a walk split across threads: every walker sees the same equipment roots and takes
 * the subfolders of each whose index (in name order) is `index` modulo `count`; the walker with
 * index 0 also reports the equipment folders themselves (their names, files and counters).
 */
export interface WalkPartition {
  index: number;
  count: number;
}

/** Everything a walk needs besides the tree. */
export interface TreeWalkSettings {
  limits: ContentScanLimits;
  requirements: RequiredFieldResolver;
  /** Clock for override expiry. */
  now: Date;
  /** This walker's share; the whole tree when absent. */
  partition?: WalkPartition;
}

/** One folder to visit. */
export interface FolderVisit {
  path: string;
  name: string;
  role: FolderRole;
  /** Name of the folder holding this one (the §8.1.3 parent signal of a run). */
  parentName: string;
  /** Owner of findings in the parent; null for a scope root. */
  owner: FindingOwner | null;
  /** A scope root: a missing root is an empty scope, not an unreadable folder. */
  root: boolean;
}

/** A scope root: an equipment folder, or a project folder audited on its own. */
export function rootVisit(dir: string, role: 'equipment' | 'project'): FolderVisit {
  return { path: dir, name: basename(dir), role, parentName: basename(dirname(dir)), owner: null, root: true };
}

// Scan results by file and text: a periodic audit re-reads mostly unchanged files. The drafts are never mutated.
const scannedTexts = new TextMemo<readonly FindingDraft[]>(MEMO_MAX_CHARS);

function emptyStats(): AuditStats {
  return { directories: 0, files: 0, runs: 0, projects: 0, content_scanned: 0, skipped_symlinks: 0, unreadable: 0 };
}

/**
 * True for `.exlab-wizard` and in-flight creations, never walked. In-flight creations render into
 * `.exlab-creating-*` beside their destination and publish by rename (DECISIONS.md).
 */
export function isSkipped(name: string): boolean {
  return name === FILE_NAMES.cacheDir || name.startsWith(FILE_NAMES.creationTempPrefix);
}

export function childPath(dir: string, name: string): string {
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/**
 * The audit-mode walk (§11.8, core.md H12), depth first with synchronous fs calls: it runs in a
 * worker thread (or in-process for a tiny scope), where a blocking call is cheaper than a round
 * trip through libuv's pool. Each folder is listed with readdir's own entry types (no per-entry
 * stat); a project's or run's creation.json is read once (and readme_fields.json when fields are
 * required) and the allowlisted text files are scanned. `.exlab-wizard`, symlinks and unreadable
 * folders are skipped and counted; nothing here throws for a filesystem problem.
 */
export class TreeWalk {
  /** Findings in discovery order (the caller sorts). */
  readonly findings: Finding[] = [];
  /** Counters. */
  readonly stats: AuditStats = emptyStats();
  readonly #settings: TreeWalkSettings;
  readonly #stack: FolderVisit[] = [];

  constructor(settings: TreeWalkSettings) {
    this.#settings = settings;
  }

  /** Walks every root and everything below it (this walker's share of it, see {@link WalkPartition}). */
  async run(roots: readonly FolderVisit[]): Promise<void> {
    for (let i = roots.length - 1; i >= 0; i -= 1) this.#stack.push(roots[i] as FolderVisit);
    for (let visit = this.#stack.pop(); visit !== undefined; visit = this.#stack.pop()) await this.#visit(visit);
  }

  #add(drafts: readonly FindingDraft[], owner: FindingOwner): void {
    for (const draft of drafts) this.findings.push(completeFinding(draft, owner));
  }

  async #visit(visit: FolderVisit): Promise<void> {
    const partition = this.#settings.partition;
    if (partition !== undefined && partition.count > 1 && visit.root && visit.role === 'equipment') {
      this.#visitShared(visit, partition);
      return;
    }
    const { path, role } = visit;
    let entries: Dirent[];
    try {
      entries = listDirectory(path);
    } catch (error) {
      if (visit.root && errorCode(error) === 'ENOENT') return;
      this.stats.unreadable += 1;
      if (role === 'project') this.stats.projects += 1;
      if (role === 'run') this.stats.runs += 1;
      // The name came from the parent's listing, so it is still checked; the contents are skipped.
      this.#add(this.#ownDrafts(visit), visit.owner === null || role === 'project' || role === 'run' ? bareOwner(path) : visit.owner);
      return;
    }
    this.stats.directories += 1;
    const owner = await this.#owner(visit, entries);
    this.#add(this.#ownDrafts(visit), owner);

    const scans: { path: string; name: string }[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (isSkipped(name)) continue;
      if (entry.isSymbolicLink()) {
        this.stats.skipped_symlinks += 1;
        continue;
      }
      const child = childPath(path, name);
      if (entry.isDirectory()) {
        this.#stack.push({ path: child, name, role: childRole(role, name), parentName: visit.name, owner, root: false });
        continue;
      }
      this.stats.files += 1;
      this.#add(nameFindings(name, child, 'file_name'), owner);
      if (entry.isFile() && isScanCandidate(name, this.#settings.limits)) scans.push({ path: child, name });
    }
    for (const file of scans) this.#scanFile(file.path, file.name, owner);
  }

  // An equipment root shared between walkers: the lead (index 0) reports the folder itself as
  // #visit would, and every walker takes its share of the subfolders, in name order.
  #visitShared(visit: FolderVisit, partition: WalkPartition): void {
    const lead = partition.index === 0;
    let entries: Dirent[];
    try {
      entries = listDirectory(visit.path);
    } catch (error) {
      if (lead && errorCode(error) !== 'ENOENT') {
        this.stats.unreadable += 1;
        this.#add(this.#ownDrafts(visit), bareOwner(visit.path));
      }
      return;
    }
    const owner = bareOwner(visit.path);
    const folders: string[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (isSkipped(name)) continue;
      if (entry.isSymbolicLink()) {
        if (lead) this.stats.skipped_symlinks += 1;
      } else if (entry.isDirectory()) {
        folders.push(name);
      } else if (lead) {
        const child = childPath(visit.path, name);
        this.stats.files += 1;
        this.#add(nameFindings(name, child, 'file_name'), owner);
        if (entry.isFile() && isScanCandidate(name, this.#settings.limits)) this.#scanFile(child, name, owner);
      }
    }
    if (lead) {
      this.stats.directories += 1;
      this.#add(this.#ownDrafts(visit), owner);
    }
    folders.sort();
    for (let i = folders.length - 1; i >= 0; i -= 1) {
      if (i % partition.count !== partition.index) continue;
      const name = folders[i] as string;
      this.#stack.push({
        path: childPath(visit.path, name),
        name,
        role: childRole('equipment', name),
        parentName: visit.name,
        owner,
        root: false,
      });
    }
  }

  // Who owns the findings in this folder: the folder itself for a project or run (with its
  // creation.json's sync status and overrides, or as an orphan), else the parent's owner.
  async #owner(visit: FolderVisit, entries: readonly Dirent[]): Promise<FindingOwner> {
    const { path, role } = visit;
    if (role !== 'project' && role !== 'run') return role === 'equipment' || visit.owner === null ? bareOwner(path) : visit.owner;
    this.stats[role === 'project' ? 'projects' : 'runs'] += 1;
    const record = loadCreationRecord(path, entries);
    if (record.state !== 'loaded') {
      const owner = bareOwner(path);
      this.#add([orphanDraft(path, role, record)], owner);
      return owner;
    }
    const owner = creationOwner(path, record.creation, this.#settings.now);
    if (role === 'run') this.#add(this.#modePrefixDrafts(visit, record.creation.run_kind), owner);
    await this.#missingFields(path, record.creation.template, owner);
    return owner;
  }

  // The folder's own name: §8.1.1/§8.1.2 on every segment from the equipment folder down, plus
  // the soft unsafe_project_name check on project folders.
  #ownDrafts(visit: FolderVisit): readonly FindingDraft[] {
    const drafts = nameFindings(visit.name, visit.path, 'directory_segment');
    if (visit.role !== 'project') return drafts;
    const problems = checkProjectName(visit.name);
    if (problems.length === 0) return drafts;
    return [
      ...drafts,
      ...problems.map((problem): FindingDraft => ({
        rule: 'unsafe_project_name',
        offending_path: visit.path,
        offending_kind: 'directory_segment',
        matched_token: problem.token,
        rule_detail: `${problem.message.charAt(0).toUpperCase()}${problem.message.slice(1)}; the LIMS project name is not a safe folder name on every OS.`,
      })),
    ];
  }

  #modePrefixDrafts(visit: FolderVisit, runKind: RunKind): FindingDraft[] {
    return modePrefixHits(visit.name, visit.parentName, runKind).map((hit) => ({
      rule: 'mode_prefix_mismatch',
      offending_path: visit.path,
      offending_kind: 'directory_segment',
      matched_token: hit.token,
      rule_detail: hit.detail,
    }));
  }

  async #missingFields(dir: string, template: CreationJson['template'], owner: FindingOwner): Promise<void> {
    const required = await this.#settings.requirements.requiredFor(template);
    if (required.length > 0) this.#add(missingFieldDrafts(dir, required), owner);
  }

  #scanFile(path: string, name: string, owner: FindingOwner): void {
    const read = readTextFile(path, this.#settings.limits.maxBytes);
    if (read.kind === 'failed') this.stats.unreadable += 1;
    if (read.kind !== 'text') return;
    this.stats.content_scanned += 1;
    const text = read.text;
    this.#add(
      scannedTexts.get(path, text, () => scanText(text, { path, markdown: extensionOf(name) === '.md', reportMalformed: true })),
      owner,
    );
  }
}
