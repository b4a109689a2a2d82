import { access } from 'node:fs/promises';
import { hostname as osHostname, userInfo } from 'node:os';
import { CacheWriter } from '@exlab/core/cache';
import { ExLabError, describeError } from '@exlab/core/errors';
import { equipmentDir, projectDir, runDir } from '@exlab/core/paths';
import type { Config, RunCreateRequest, SessionHandle } from '@exlab/core/schemas';
import { resolveReadmeLayers, templateReadmeFields } from '@exlab/core/readme';
import { resolveAnswers, resolveTemplateFor } from '@exlab/core/template';
import { gateRunRequest } from './creation-gate.js';
import { resolveLimsProject } from './lims-project.js';
import { createRunTree } from './run-pipeline.js';
import { SessionStore, toSessionHandle } from './session-store.js';

/** Messages the controller reports about a creation, for the app and equipment logs. */
export interface CreationEvents {
  /** A creation finished and its folder is published. */
  created?(info: {
    equipmentDirectory: string;
    equipmentId: string;
    project: string;
    runKind: string;
    path: string;
    template: string;
    version: string;
  }): void;
  /** A creation succeeded but a best-effort record after publishing could not be written. */
  warning?(info: { equipmentId: string; project: string; message: string }): void;
  /** A creation failed after the gate. */
  failed?(info: { equipmentId: string; project: string; error: unknown }): void;
}

/** Options of {@link CreationController}. */
export interface CreationControllerOptions {
  /** The current configuration (re-read on every request, so config changes apply live). */
  getConfig: () => Config | null;
  /** Clock for run dates and timestamps. */
  clock?: () => Date;
  /** Hostname recorded in creation.json. */
  hostname?: string;
  /** OS user recorded as `created_by`. */
  osUser?: string;
  /** Observer of creation outcomes. */
  events?: CreationEvents;
}

/** Turns creation requests into recorded run folders and keeps their sessions. */
export class CreationController {
  /** The sessions this controller opened. */
  readonly sessions: SessionStore;
  readonly #options: CreationControllerOptions;
  readonly #clock: () => Date;
  readonly #cache: CacheWriter;

  constructor(options: CreationControllerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    this.#cache = new CacheWriter({ clock: this.#clock });
    this.sessions = new SessionStore(this.#clock);
  }

  /**
   * Creates a run. Input problems (the gate, the template, the LIMS project, an existing
   * destination) are thrown before anything is written; a failure after that ends the session
   * `failed` with its error and publishes nothing.
   */
  async createRun(request: RunCreateRequest): Promise<SessionHandle> {
    const config = this.#options.getConfig();
    if (config === null) throw new ExLabError('setup_incomplete', 'No configuration is loaded; finish setup first.');
    const gated = gateRunRequest(config, request);
    const equipmentDirectory = equipmentDir(config, gated.equipment.id) as string;
    const projectDirectory = projectDir(equipmentDirectory, request.project_name);
    const createdAt = request.run_date !== undefined ? new Date(request.run_date) : this.#clock();
    const destination = runDir(projectDirectory, request.run_kind, createdAt);
    const manifest = await resolveTemplateFor(config, gated.equipment.id, request.template_path, 'run', request.run_kind);
    // requirements B3 step 11: README fields are checked before anything is written.
    const readmeLayers = resolveReadmeLayers({
      templateFields: templateReadmeFields(manifest),
      configFields: config.readme.defaults,
      values: request.readme_extra,
      customFields: request.readme_custom_fields,
      template: { name: manifest.name, version: manifest.version },
    });
    const limsProject = await resolveLimsProject(config, projectDirectory, request);
    if (await exists(destination)) {
      throw new ExLabError(
        'destination_exists',
        `${destination} already exists; runs in the same minute share a folder name, so retry in a minute.`,
        {
          field: 'run_date',
          details: { path: destination },
        },
      );
    }
    const base = {
      label: gated.label,
      operator: gated.operator,
      objective: gated.objective,
      project_name: request.project_name,
      project_short_id: limsProject.short_id,
      run_kind: request.run_kind,
    };
    const answers = resolveAnswers(manifest, request.variables, base);
    // requirements B4: the request's variables plus the answers, with the core values added only where absent.
    const allValues: Record<string, unknown> = { ...request.variables, ...answers };
    const renderContext: Record<string, unknown> = { ...allValues };
    // Secret answers render but are never recorded (core.md D5 keeps them out of the answers file too).
    const secrets = new Set(manifest.questions.filter((q) => q.secret).map((q) => q.name));
    const variables = Object.fromEntries(Object.entries(allValues).filter(([key]) => !secrets.has(key)));
    for (const [key, value] of Object.entries(base)) if (!(key in renderContext)) renderContext[key] = value;

    const session = this.sessions.open('run');
    session.state = 'rendering';
    try {
      const outcome = await createRunTree({
        config,
        request,
        equipment: gated.equipment,
        equipmentDirectory,
        projectDirectory,
        destination,
        manifest,
        answers,
        variables,
        renderContext,
        limsProject,
        createdAt,
        createdBy: this.#options.osUser ?? safeUserName(),
        hostname: this.#options.hostname ?? osHostname(),
        cache: this.#cache,
        readmeLayers,
        core: { label: gated.label, operator: gated.operator, objective: gated.objective },
      });
      session.state = 'done';
      session.result = { path: outcome.path, sync_status: outcome.creation.sync_status, blocked: false, findings: [] };
      const created = {
        equipmentDirectory,
        equipmentId: gated.equipment.id,
        project: request.project_name,
        runKind: request.run_kind,
        path: outcome.path,
        template: manifest.name,
        version: manifest.version,
      };
      notify(() => this.#options.events?.created?.(created));
      for (const message of outcome.warnings)
        notify(() => this.#options.events?.warning?.({ equipmentId: gated.equipment.id, project: request.project_name, message }));
    } catch (error) {
      // Another creation published the same minute between our check and our rename: the same
      // answer as when it was already there (409), not a failed session.
      if (error instanceof ExLabError && error.code === 'destination_exists') {
        this.sessions.remove(session.id);
        throw error;
      }
      session.state = 'failed';
      session.error =
        error instanceof ExLabError
          ? {
              code: error.code,
              message: error.message,
              ...(error.field ? { field: error.field } : {}),
              ...(error.details ? { details: error.details } : {}),
            }
          : { code: 'internal_error', message: describeError(error) };
      notify(() => this.#options.events?.failed?.({ equipmentId: gated.equipment.id, project: request.project_name, error }));
    }
    return toSessionHandle(session);
  }

  /** The snapshot of session `id`, or undefined; reading it counts as a heartbeat. */
  getSession(id: string): SessionHandle | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.sessions.heartbeat(id);
    return toSessionHandle(session);
  }
}

// Observers write logs; a throwing observer must not turn a published run into a failed session
// (or a failed one into a rejected request), so its error is dropped here.
function notify(call: () => void): void {
  try {
    call();
  } catch {
    // Nothing to report to: the observer is the reporting channel.
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
