import type { FastifyInstance } from 'fastify';
import type { CreationController } from '@exlab/controller';
import type { Logger } from '@exlab/core/logging';
import type { AutostartResponse, Config, ProbeResult, SetupStatus } from '@exlab/core/schemas';

/** What the routes need from the process that hosts the server. */
export interface ServerContext {
  /** Per-launch API token. */
  token: string;
  /** Product version reported by /health. */
  version: string;
  /** This tray instance's id. */
  instanceId: string;
  /** The config file in use, if any. */
  configPath?: string | undefined;
  /** The creation controller. */
  controller: CreationController;
  /** The current configuration (null when none is loaded). */
  getConfig: () => Config | null;
  /** The current setup status. */
  getSetupStatus: () => SetupStatus;
  /** True once a quit has started (new sessions get 503 `shutting_down`). */
  isShuttingDown: () => boolean;
  /** Where request errors are logged. */
  logger: Logger;
  /** Registers the hosting process's own HTTP routes (the tray's `/api/v1/app/*` control routes) before the app is sealed; WebSocket routes live in the sessions/problems scope of build-server.ts. */
  registerExtraRoutes?: ((app: FastifyInstance) => void) | undefined;
  /** Runs in Fastify's preClose, before connections drain: the host closes its WebSockets here, or `close()` hangs. */
  onPreClose?: (() => Promise<void> | void) | undefined;
  /** Makes a config just written by `PUT /config` the live one (setup state, controller, audit); no restart (§4.9). */
  applyConfig?: ((config: Config) => void) | undefined;
  /** Autostart port; when given the server owns `POST /setup/autostart`, otherwise the host registers it. */
  autostart?: { set(enabled: boolean): Promise<AutostartResponse> } | undefined;
  /** LIMS probe of `POST /setup/test-lims`; a success marks LIMS reachable in the host. */
  testLims?:
    ((target: { endpoint: string; email?: string | undefined; password?: string | undefined }) => Promise<ProbeResult>) | undefined;
  /** Background audit cadence and clock (tests inject them); default every 30 s (requirements C10). */
  audit?: AuditOptions | undefined;
}

/** Timing of the background audit. */
export interface AuditOptions {
  /** Period in ms; default 30 000. 0 disables the timer (only start-up and refresh run). */
  intervalMs?: number | undefined;
  /** Clock used for `audit_at`. */
  clock?: (() => Date) | undefined;
}
