import type { z } from 'zod';
import { API_PREFIX, WS_CLOSE } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  ConfigSchema,
  ErrorEnvelopeSchema,
  FolderResponseSchema,
  HealthSchema,
  OperationsResponseSchema,
  OverrideEntryResponseSchema,
  ProbeResultSchema,
  ProblemsRefreshResponseSchema,
  ProblemsReportSchema,
  RunDetailResponseSchema,
  SessionEventSchema,
  SessionHandleSchema,
  SetupStatusSchema,
  TreeResponseSchema,
  type CancelRequest,
  type ConfigInput,
  type ErrorEnvelopeBody,
  type OverrideCreateRequest,
  type OverrideRevokeRequest,
  type ProblemsQuery,
  type ProjectCreateRequestInput,
  type RunCreateRequestInput,
  type SessionEvent,
} from '@exlab/core/schemas';

/** A refusal of the API: the HTTP status and the §8 error envelope it carried. */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** The envelope's error object (`code`, `message`, `field`, `details`, `trace_id`, extras). */
  readonly error: ErrorEnvelopeBody['error'];

  constructor(status: number, envelope: ErrorEnvelopeBody) {
    super(`${envelope.error.code}: ${envelope.error.message}`);
    this.name = 'ApiError';
    this.status = status;
    this.error = envelope.error;
  }

  /** The catalogue code, e.g. `setup_incomplete`. */
  get code(): string {
    return this.error.code;
  }
}

/** How a WebSocket ended. */
interface SocketClose {
  code: number;
  reason: string;
}

/** The text messages of a WebSocket in order, then how it closed; leaving the loop early closes it. */
async function* socketMessages(socket: WebSocket): AsyncGenerator<string, SocketClose> {
  const pending: string[] = [];
  let closed: SocketClose | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  socket.addEventListener('message', (event) => {
    pending.push(String(event.data));
    notify();
  });
  socket.addEventListener('close', (event) => {
    closed = { code: event.code, reason: event.reason };
    notify();
  });
  socket.addEventListener('error', () => undefined); // a close event follows
  try {
    for (;;) {
      const next = pending.shift();
      if (next !== undefined) yield next;
      else if (closed !== null) return closed;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(WS_CLOSE.normal);
  }
}

/** Where the client talks and with which token. */
export interface ApiClientOptions {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** The per-launch token (server.json); omit in the window, where the cookie carries it. */
  token?: string | undefined;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch | undefined;
  /** How often {@link ApiClient.sessionEvents} reopens a connection lost mid-session (default 3). */
  reconnects?: number | undefined;
}

/**
 * A small typed client of the local API (browser-safe: fetch and zod only). Every answer is parsed
 * with its wire schema; a refusal throws {@link ApiError} carrying the envelope.
 */
export class ApiClient {
  readonly #options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#options = options;
  }

  async #call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.output<S>> {
    const headers: Record<string, string> = {};
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const doFetch = this.#options.fetch ?? fetch;
    const response = await doFetch(`${this.#options.baseUrl}${API_PREFIX}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const envelope = ErrorEnvelopeSchema.safeParse(json);
      throw new ApiError(
        response.status,
        envelope.success ? envelope.data : { error: { code: 'internal_error', message: `HTTP ${response.status}`, trace_id: '' } },
      );
    }
    return schema.parse(json);
  }

  /** `POST /sessions`. */
  createSession(request: RunCreateRequestInput | ProjectCreateRequestInput) {
    return this.#call(SessionHandleSchema, 'POST', '/sessions', request);
  }
  /** `GET /sessions/:id`. */
  session(id: string) {
    return this.#call(SessionHandleSchema, 'GET', `/sessions/${encodeURIComponent(id)}`);
  }
  /** `POST /sessions/:id/resume`. */
  resume(id: string, extraInputs: Record<string, unknown>) {
    return this.#call(SessionHandleSchema, 'POST', `/sessions/${encodeURIComponent(id)}/resume`, { extra_inputs: extraInputs });
  }
  /** `POST /sessions/:id/cancel`. */
  cancel(id: string, request: CancelRequest = {}) {
    return this.#call(SessionHandleSchema, 'POST', `/sessions/${encodeURIComponent(id)}/cancel`, request);
  }
  /**
   * `WS /sessions/:id/events`: the session's frames from the first, then live, until it ends. A
   * connection lost mid-session is reopened and the frames the replay repeats are skipped, so no
   * frame is lost or seen twice. An unknown session throws {@link ApiError} `session_not_found`.
   */
  async *sessionEvents(id: string): AsyncGenerator<SessionEvent, void> {
    const url = `${this.#options.baseUrl.replace(/^http/, 'ws')}${API_PREFIX}/sessions/${encodeURIComponent(id)}/events`;
    const allowed = this.#options.reconnects ?? 3;
    let seen = 0;
    let lost = 0;
    for (;;) {
      // In Node the token goes in a header; in the window the cookie carries it (browsers set no headers).
      const token = this.#options.token;
      const socket = token === undefined ? new WebSocket(url) : new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      const messages = socketMessages(socket);
      let index = 0;
      let step: IteratorResult<string, SocketClose>;
      try {
        for (step = await messages.next(); step.done !== true; step = await messages.next()) {
          const frame = SessionEventSchema.parse(JSON.parse(step.value));
          index += 1;
          if (index <= seen) continue;
          seen = index;
          lost = 0;
          yield frame;
        }
      } finally {
        await messages.return({ code: WS_CLOSE.normal, reason: '' });
      }
      const { code, reason } = step.value;
      if (code === WS_CLOSE.normal) return;
      if (code === WS_CLOSE.unknownSession)
        throw new ApiError(404, { error: { code: 'session_not_found', message: `No session with id "${id}".`, trace_id: '' } });
      lost += 1;
      if (lost > allowed)
        throw new ExLabError(
          'server_connection_lost',
          `The connection to ExLab-Wizard closed ${lost} times in a row while following session ${id} (${code} ${reason}).`,
        );
    }
  }
  /** `GET /operations`. */
  operations() {
    return this.#call(OperationsResponseSchema, 'GET', '/operations');
  }
  /** `GET /problems`. */
  problems(query: ProblemsQuery = {}) {
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const suffix = params.size > 0 ? `?${params.toString()}` : '';
    return this.#call(ProblemsReportSchema, 'GET', `/problems${suffix}`);
  }
  /** `POST /problems/refresh`. */
  refreshProblems() {
    return this.#call(ProblemsRefreshResponseSchema, 'POST', '/problems/refresh');
  }
  /** `POST /problems/<runPath>/override`. */
  override(runPath: string, request: OverrideCreateRequest) {
    return this.#call(OverrideEntryResponseSchema, 'POST', `/problems/${runPath}/override`, request);
  }
  /** `POST /problems/<runPath>/override/revoke`. */
  revokeOverride(runPath: string, request: OverrideRevokeRequest) {
    return this.#call(OverrideEntryResponseSchema, 'POST', `/problems/${runPath}/override/revoke`, request);
  }
  /** `GET /tree`. */
  tree() {
    return this.#call(TreeResponseSchema, 'GET', '/tree');
  }
  /** `GET /folder/<path>`. */
  folder(path: string) {
    return this.#call(FolderResponseSchema, 'GET', `/folder/${path}`);
  }
  /** `GET /run/<path>`. */
  run(path: string) {
    return this.#call(RunDetailResponseSchema, 'GET', `/run/${path}`);
  }
  /** `GET /config` (secrets redacted). */
  config() {
    return this.#call(ConfigSchema, 'GET', '/config');
  }
  /** `PUT /config`: the new setup status. */
  saveConfig(config: ConfigInput) {
    return this.#call(SetupStatusSchema, 'PUT', '/config', config);
  }
  /** `POST /config/equipment`. */
  addEquipment(equipment: Record<string, unknown>) {
    return this.#call(SetupStatusSchema, 'POST', '/config/equipment', equipment);
  }
  /** `GET /setup/status`. */
  setupStatus() {
    return this.#call(SetupStatusSchema, 'GET', '/setup/status');
  }
  /** `POST /setup/test-lims`. */
  testLims(request: { lims?: { endpoint: string; email?: string }; password?: string } = {}) {
    return this.#call(ProbeResultSchema, 'POST', '/setup/test-lims', request);
  }
  /** `POST /setup/test-equipment`. */
  testEquipment(request: { equipment_id?: string; equipment?: Record<string, unknown> }) {
    return this.#call(ProbeResultSchema, 'POST', '/setup/test-equipment', request);
  }
  /** `GET /health`. */
  health() {
    return this.#call(HealthSchema, 'GET', '/health');
  }
}
