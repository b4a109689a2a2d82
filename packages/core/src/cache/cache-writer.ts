import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  HARD_PROBLEM_CLASSES,
  LIMITS,
  SCHEMA_VERSIONS,
  TIMINGS,
  type HardProblemClass,
  type RunKind,
  type SyncStatus,
} from '../constants/index.js';
import { ExLabError, FieldTooLongError, SchemaMajorMismatchError, ValidationError } from '../errors/index.js';
import { parseWithSchema, withFileLock, writeJsonAtomic, type FileLockOptions } from '../io/index.js';
import { createNullLogger, type Logger } from '../logging/index.js';
import {
  EquipmentJsonSchema,
  IngestJsonSchema,
  INGEST_STATES,
  NewCreationJsonSchema,
  formatUtcTimestamp,
  parseUtcTimestamp,
  type CreationJson,
  type EquipmentJson,
  type IngestJson,
  type IngestState,
  type NewCreationJson,
  type ReadmeFieldsJson,
  type RunKindMarker,
} from '../schemas/index.js';
import {
  assertCreationChangeAllowed,
  creationDocumentToWrite,
  creationJsonPath,
  parseCreationJson,
  type CreationJsonBody,
} from './creation-file.js';
import { equipmentJsonPath, parseEquipmentJson, type EquipmentRecordInput } from './equipment-file.js';
import { ingestJsonPath, parseIngestJson, type IngestHeader, type IngestStepDetails } from './ingest-file.js';
import type { OverrideEntry, TombstoneEntry } from './overrides.js';
import { readmeFieldsDocument, readmeFieldsPath, type ReadmeFieldsBody } from './readme-fields-file.js';
import { runKindMarkerPath } from './run-kind-marker.js';
import { readJsonDocument, versionToWrite } from './schema-version.js';

/** Options of {@link CacheWriter}. */
export interface CacheWriterOptions {
  /** Where lock trouble and dangling tombstones are reported (default: nowhere). */
  logger?: Logger | undefined;
  /** How long a write waits for the file's lock before `lock_timeout` (default 30 s, core.md F2). */
  lockTimeoutMs?: number | undefined;
  /** A lock not refreshed for this long belongs to a crashed holder and is taken over (default 10 s, at least 2 s). */
  staleMs?: number | undefined;
  /** Time source of `recorded_at`, `at` and the default `now` of the record writers. */
  clock?: (() => Date) | undefined;
}

/** A change to creation.json: edit the draft in place, or return a replacement document. */
export type CreationMutation = (draft: CreationJson) => CreationJson | void | Promise<CreationJson | void>;

/** What an operator gives to override a hard finding (§11.3, core.md F6). */
export interface OverrideRequest {
  /** One of the hard problem classes. */
  problem_class: string;
  /** Who records the override. */
  operator: string;
  /** Why; 10 to 500 characters after trimming. */
  reason: string;
  /** When the override lapses by itself (UTC; must lie in the future); absent or null never. */
  expires_at?: string | Date | null | undefined;
}

/** What an operator gives to revoke an override (§11.3 tombstone). */
export interface RevocationRequest {
  /** Id of the override entry being revoked. */
  revokes: string;
  /** Who revokes it. */
  operator: string;
  /** Why; 10 to 500 characters after trimming. */
  reason: string;
}

/**
 * The one writer of the `.exlab-wizard/` cache files (§11, core.md F1-F8). Every write is
 * atomic (sibling temp file, fsync, rename); every rewrite holds the file's exclusive
 * cross-process lock for the whole read-migrate-mutate-validate-write cycle; a stale lock of a
 * crashed holder is taken over, and a lock compromised while held is logged (WARN) while the
 * cycle finishes. Readers need no lock (see `readCreationJson`).
 */
export class CacheWriter {
  readonly #logger: Logger;
  readonly #clock: () => Date;
  readonly #lockOptions: FileLockOptions;

  constructor(options: CacheWriterOptions = {}) {
    this.#logger = options.logger ?? createNullLogger();
    this.#clock = options.clock ?? (() => new Date());
    this.#lockOptions = {
      timeoutMs: options.lockTimeoutMs ?? TIMINGS.cacheLockTimeoutMs,
      staleMs: options.staleMs,
    };
  }

  /**
   * Writes a new creation.json in `dir` at the current schema version, every field present and
   * `schema_version` first. The write is exclusive: a second creator gets `cache_file_exists`
   * and the first file is untouched. A body breaking the schema is `cache_file_invalid`.
   */
  async createCreation(dir: string, body: CreationJsonBody): Promise<NewCreationJson> {
    const path = creationJsonPath(dir);
    const document = parseWithSchema(path, { ...body, schema_version: SCHEMA_VERSIONS.creation_json }, NewCreationJsonSchema);
    await this.#writeOnce(path, document);
    return document;
  }

  /**
   * Applies `mutate` to creation.json under its exclusive lock: read, migrate, mutate, check,
   * validate, write. Only `sync_status` and `validation_overrides` may change (core.md F3), and
   * the overrides only by appending; anything else is `validation_failed` naming the field and
   * nothing is written. The file is rewritten at the current version with every field, unknown
   * top-level keys kept after the known ones. Returns what was written.
   */
  async updateCreation(dir: string, mutate: CreationMutation): Promise<CreationJson> {
    const path = creationJsonPath(dir);
    return this.#locked(path, async () => {
      const current = parseCreationJson(await readJsonDocument(path), path);
      const draft = structuredClone(current);
      const changed = (await mutate(draft)) ?? draft;
      assertCreationChangeAllowed(current, changed, path);
      const next = creationDocumentToWrite(changed, current.schema_version, path);
      await writeJsonAtomic(path, next);
      this.#logger.debug('creation.json updated', { path, schema_version: next.schema_version });
      return next;
    });
  }

  /** Sets creation.json's `sync_status` (§11.3); an unknown status is `cache_file_invalid` naming the field. */
  async setSyncStatus(dir: string, status: SyncStatus): Promise<CreationJson> {
    return this.updateCreation(dir, (draft) => {
      draft.sync_status = status;
    });
  }

  /**
   * Appends an operator override of a hard finding (§11.3) and returns it: a new UUID v4 id,
   * `recorded_at` now, `revoked: false`, `expires_at` as given or null. A soft or unknown class
   * is `validation_failed` naming the allowed values; so is a blank operator, a short reason or
   * an expiry that is not a future UTC time. A reason over 500 characters is `field_too_long`.
   */
  async appendOverride(dir: string, request: OverrideRequest): Promise<OverrideEntry> {
    const now = this.#clock();
    const problemClass = request.problem_class;
    if (!isHardProblemClass(problemClass)) {
      throw new ValidationError(
        `problem_class "${problemClass}" cannot be overridden; allowed values: ${HARD_PROBLEM_CLASSES.join(', ')} (hard-tier rules only).`,
        { field: 'problem_class', details: { allowed: [...HARD_PROBLEM_CLASSES] } },
      );
    }
    const entry: OverrideEntry = {
      id: randomUUID(),
      problem_class: problemClass,
      operator: checkedOperator(request.operator),
      recorded_at: formatUtcTimestamp(now),
      expires_at: checkedExpiry(request.expires_at, now),
      reason: checkedReason(request.reason),
      revoked: false,
    };
    await this.updateCreation(dir, (draft) => {
      draft.validation_overrides.push(entry);
    });
    return entry;
  }

  /**
   * Appends a tombstone revoking override `revokes` (§11.3) and returns it. The list stays
   * append-only. A tombstone naming no override in the file is still written, and logged as a
   * WARN (core.md F6): it simply has no effect.
   */
  async revokeOverride(dir: string, request: RevocationRequest): Promise<TombstoneEntry> {
    if (request.revokes.trim() === '') {
      throw new ValidationError('revokes must name the id of the override being revoked.', { field: 'revokes' });
    }
    const tombstone: TombstoneEntry = {
      id: randomUUID(),
      revokes: request.revokes,
      operator: checkedOperator(request.operator),
      recorded_at: formatUtcTimestamp(this.#clock()),
      reason: checkedReason(request.reason),
      revoked: true,
    };
    let targetFound = false;
    await this.updateCreation(dir, (draft) => {
      targetFound = draft.validation_overrides.some((entry) => !entry.revoked && entry.id === request.revokes);
      draft.validation_overrides.push(tombstone);
    });
    if (!targetFound) {
      this.#logger.warn(
        `tombstone ${tombstone.id} revokes override ${request.revokes}, which is not in ${creationJsonPath(dir)}; it has no effect`,
        {
          path: creationJsonPath(dir),
          revokes: request.revokes,
        },
      );
    }
    return tombstone;
  }

  /**
   * Writes `<dir>/.exlab-wizard/readme_fields.json` at the current version (§11.4, core.md E3),
   * atomically and under the file's lock; a rewrite replaces the previous file. Core fields must
   * be non-empty after trimming, label at most 100 and objective at most 2000 characters.
   */
  async writeReadmeFields(dir: string, body: ReadmeFieldsBody): Promise<ReadmeFieldsJson> {
    const path = readmeFieldsPath(dir);
    const document = readmeFieldsDocument(dir, body);
    await mkdir(dirname(path), { recursive: true });
    await this.#locked(path, () => writeJsonAtomic(path, document));
    return document;
  }

  /**
   * Rewrites equipment.json from the configured values (§11.4.1, core.md F7), keeping
   * `first_seen_at` and unknown keys of a readable existing file; a corrupt file is replaced by
   * a fresh record. A file of a newer major version is refused (`schema_major_mismatch`), never
   * overwritten.
   */
  async writeEquipmentJson(equipmentDirectory: string, equipment: EquipmentRecordInput, now: Date = this.#clock()): Promise<EquipmentJson> {
    const path = equipmentJsonPath(equipmentDirectory);
    await mkdir(dirname(path), { recursive: true });
    return this.#locked(path, async () => {
      const previous = await this.#readPreviousEquipment(path);
      const record = parseWithSchema(
        path,
        {
          ...previous,
          schema_version: versionToWrite(previous?.schema_version ?? SCHEMA_VERSIONS.equipment_json, SCHEMA_VERSIONS.equipment_json),
          id: equipment.id,
          label: equipment.label,
          configured_local_root: equipment.configuredLocalRoot,
          configured_nas_root: equipment.configuredNasRoot,
          first_seen_at: previous?.first_seen_at ?? formatUtcTimestamp(now),
          // Never backwards: concurrent creations finish in any order, and the record keeps the newest.
          last_modified_at: latestTimestamp(previous?.last_modified_at, formatUtcTimestamp(now)),
        },
        EquipmentJsonSchema,
      );
      await writeJsonAtomic(path, record);
      return record;
    });
  }

  /** Writes the run-kind marker once (§11.4.2-3); returns false when it already existed and was left alone. */
  async writeRunKindMarkerOnce(
    projectDirectory: string,
    kind: RunKind,
    project: string,
    equipment: string,
    now: Date = this.#clock(),
  ): Promise<boolean> {
    const marker: RunKindMarker = {
      schema_version: SCHEMA_VERSIONS.runs_json,
      run_kind: kind,
      created_at: formatUtcTimestamp(now),
      project,
      equipment,
    };
    try {
      await writeJsonAtomic(runKindMarkerPath(projectDirectory, kind), marker, { exclusive: true });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  /**
   * Starts a staged run's ingest.json (§13.4) in state `staging`, recorded at now by `host`.
   * Exclusive: a second start is `cache_file_exists` and the first file is untouched.
   */
  async startIngest(runDirectory: string, header: IngestHeader, host: string, details: IngestStepDetails = {}): Promise<IngestJson> {
    const path = ingestJsonPath(runDirectory);
    const document = parseWithSchema(
      path,
      {
        schema_version: SCHEMA_VERSIONS.ingest_json,
        ...header,
        current_state: 'staging',
        history: [{ state: 'staging', at: formatUtcTimestamp(this.#clock()), host, ...details }],
      },
      IngestJsonSchema,
    );
    await this.#writeOnce(path, document);
    return document;
  }

  /**
   * Moves a staged run's lifecycle forward to `state` (§13.3, core.md F8), appending
   * `{state, at: now, host, ...details}` under the file's lock. States only move forward
   * (a later state may skip ahead, e.g. a forced sync); the same or an earlier state is
   * `validation_failed` naming the allowed ones, and the file is left unchanged.
   */
  async appendIngestState(runDirectory: string, state: IngestState, host: string, details: IngestStepDetails = {}): Promise<IngestJson> {
    const path = ingestJsonPath(runDirectory);
    return this.#locked(path, async () => {
      const current = parseIngestJson(await readJsonDocument(path), path);
      const from = INGEST_STATES.indexOf(current.current_state);
      const later = INGEST_STATES.slice(from + 1);
      if (!(later as readonly string[]).includes(state)) {
        throw new ValidationError(
          `${path} is at "${current.current_state}"; a staged run only moves forward, so "${state}" is not allowed${later.length > 0 ? ` (allowed: ${later.join(', ')})` : ' (the lifecycle is finished)'}.`,
          { field: 'state', details: { file: path, current_state: current.current_state, allowed: later } },
        );
      }
      const next = parseWithSchema(
        path,
        {
          ...current,
          schema_version: versionToWrite(current.schema_version, SCHEMA_VERSIONS.ingest_json),
          current_state: state,
          history: [...current.history, { state, at: formatUtcTimestamp(this.#clock()), host, ...details }],
        },
        IngestJsonSchema,
      );
      await writeJsonAtomic(path, next);
      return next;
    });
  }

  /** Runs `work` holding the exclusive lock of `path`; a compromised lock is logged, never thrown. */
  #locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    return withFileLock(path, work, {
      ...this.#lockOptions,
      onCompromised: (error) => {
        this.#logger.warn(`lock on ${path} was compromised while held (${error.message}); finishing the write anyway`, { path });
      },
    });
  }

  /** An exclusive atomic first write; an existing file is `cache_file_exists` and stays as it was. */
  async #writeOnce(path: string, document: unknown): Promise<void> {
    try {
      await writeJsonAtomic(path, document, { exclusive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ExLabError('cache_file_exists', `${path} already exists; it is written once per folder.`, { details: { path } });
      }
      throw error;
    }
  }

  // The previous equipment.json, or undefined when missing or corrupt (a fresh record replaces
  // it). A newer major is not corrupt: it belongs to a newer product and is refused.
  async #readPreviousEquipment(path: string): Promise<EquipmentJson | undefined> {
    try {
      return parseEquipmentJson(await readJsonDocument(path), path);
    } catch (error) {
      if (error instanceof SchemaMajorMismatchError && newerMajor(error.details?.found)) throw error;
      return undefined;
    }
  }
}

function isHardProblemClass(value: string): value is HardProblemClass {
  return (HARD_PROBLEM_CLASSES as readonly string[]).includes(value);
}

// `found` is written by a later major (2.0 and up): refusing it keeps us from clobbering it.
function newerMajor(found: unknown): boolean {
  const major = typeof found === 'string' ? /^(\d+)\./.exec(found)?.[1] : undefined;
  return major !== undefined && Number(major) > 1;
}

function checkedOperator(operator: string): string {
  const trimmed = operator.trim();
  if (trimmed === '') throw new ValidationError('operator must not be empty.', { field: 'operator' });
  return trimmed;
}

function checkedReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length > LIMITS.overrideReasonMaxLength) {
    throw new FieldTooLongError('reason', LIMITS.overrideReasonMaxLength, trimmed.length);
  }
  if (trimmed.length < LIMITS.overrideReasonMinLength) {
    throw new ValidationError(`reason must be at least ${LIMITS.overrideReasonMinLength} characters after trimming.`, {
      field: 'reason',
      details: { min_length: LIMITS.overrideReasonMinLength, max_length: LIMITS.overrideReasonMaxLength },
    });
  }
  return trimmed;
}

function checkedExpiry(expiresAt: string | Date | null | undefined, now: Date): string | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const expiry = expiresAt instanceof Date ? expiresAt : parseUtcTimestamp(expiresAt);
  if (expiry === null || Number.isNaN(expiry.getTime())) {
    throw new ValidationError(`expires_at "${String(expiresAt)}" is not a UTC timestamp like 2026-10-18T09:14:22Z.`, {
      field: 'expires_at',
    });
  }
  if (expiry.getTime() <= now.getTime()) {
    throw new ValidationError(`expires_at ${formatUtcTimestamp(expiry)} is not in the future; an override must expire later than now.`, {
      field: 'expires_at',
      details: { now: formatUtcTimestamp(now) },
    });
  }
  return formatUtcTimestamp(expiry);
}

/** The later of two UTC timestamps of the `YYYY-MM-DDTHH:MM:SSZ` form (which sort as strings); `next` when there is no previous one. */
function latestTimestamp(previous: string | undefined, next: string): string {
  return previous !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(previous) && previous > next ? previous : next;
}
