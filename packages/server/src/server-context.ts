import type { FastifyInstance } from 'fastify';
import type { CreationController } from '@exlab/controller';
import type { Logger } from '@exlab/core/logging';
import type { Config, SetupStatus } from '@exlab/core/schemas';

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
  /** Registers the hosting process's own routes (the tray's `/api/v1/app/*` control routes) before the app is sealed. */
  registerExtraRoutes?: ((app: FastifyInstance) => void) | undefined;
  /** Runs in Fastify's preClose, before connections drain: the host closes its WebSockets here, or `close()` hangs. */
  onPreClose?: (() => Promise<void> | void) | undefined;
}
