import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FILE_NAMES, LOOPBACK_HOST, SCHEMA_VERSIONS, TIMINGS, type TrayMode } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  readServerInfo,
  removeServerInfoIfOwned,
  removeServerInfoIfOwnedSync,
  writeServerInfo,
  type ServerInfo,
} from '@exlab/core/process';
import { formatUtcTimestamp } from '@exlab/core/schemas';
import { buildServer, type ServerContext } from '@exlab/server';

/** Options of {@link ServerRunner}. */
export interface ServerRunnerOptions {
  /** What the routes need. */
  context: ServerContext;
  /** Where server.json goes. */
  stateDir: string;
  /** Start token of this process (lifecycle.md P4). */
  pidStart: string | null;
  /** How the tray runs. */
  mode: TrayMode;
  /** When the tray started. */
  startedAt: Date;
}

/**
 * Owns the HTTP server's life (lifecycle.md S1): listens on 127.0.0.1 only, writes server.json
 * right after bind, and on stop closes the server and removes server.json if it is still ours.
 */
export class ServerRunner {
  readonly #options: ServerRunnerOptions;
  #app: FastifyInstance | undefined;
  #port: number | undefined;
  #info: ServerInfo | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ServerRunnerOptions) {
    this.#options = options;
  }

  /** Path of the discovery file. */
  get serverJsonPath(): string {
    return join(this.#options.stateDir, FILE_NAMES.serverJson);
  }

  /** The bound port; throws before start. */
  get port(): number {
    if (this.#port === undefined) throw new ExLabError('internal_error', 'ServerRunner.port read before start().');
    return this.#port;
  }

  /** True while the listener is up. */
  get isRunning(): boolean {
    return this.#app !== undefined && this.#stopping === undefined;
  }

  /** What server.json says about this server. */
  get info(): ServerInfo | undefined {
    return this.#info;
  }

  /** Binds `port` (0 = any free port; a taken fixed port throws `port_in_use`, never walks) and writes server.json. */
  async start(port: number): Promise<number> {
    if (this.#app !== undefined) throw new ExLabError('internal_error', 'ServerRunner.start() called twice.');
    const app = await buildServer(this.#options.context);
    try {
      await app.listen({ host: LOOPBACK_HOST, port });
    } catch (error) {
      await app.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new ExLabError('port_in_use', `port ${port} already in use`, { details: { port } });
      }
      throw error;
    }
    this.#app = app;
    const address = app.server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    const context = this.#options.context;
    this.#info = {
      schema_version: SCHEMA_VERSIONS.server_json,
      port: this.#port,
      pid: process.pid,
      started_at: formatUtcTimestamp(this.#options.startedAt),
      token: context.token,
      pid_start: this.#options.pidStart,
      instance_id: context.instanceId,
      version: context.version,
      mode: this.#options.mode,
      url: `http://${LOOPBACK_HOST}:${this.#port}/`,
      state_dir: this.#options.stateDir,
      config_path: context.configPath ?? null,
    };
    await writeServerInfo(this.serverJsonPath, this.#info);
    return this.#port;
  }

  /** Records a changed mode (the icon step decides `tray` or `window-only` after bind, T1, T8) and rewrites server.json. */
  async setMode(mode: TrayMode): Promise<void> {
    if (this.#info === undefined || !this.isRunning || this.#info.mode === mode) return;
    this.#info = { ...this.#info, mode };
    await writeServerInfo(this.serverJsonPath, this.#info);
  }

  /** Rewrites server.json when it is missing or names another launch (lifecycle.md T6); true when rewritten. */
  async healDiscoveryFile(): Promise<boolean> {
    if (this.#info === undefined || !this.isRunning) return false;
    const current = await readServerInfo(this.serverJsonPath).catch(() => null);
    if (current !== null && current.pid === this.#info.pid && current.instance_id === this.#info.instance_id) return false;
    await writeServerInfo(this.serverJsonPath, this.#info);
    return true;
  }

  /** Closes the server (connections forced closed, at most 10 s) and removes our server.json; idempotent. */
  async stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const app = this.#app;
      if (app !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          app.close(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, TIMINGS.serverCloseMs);
          }),
        ]);
        clearTimeout(timer);
      }
      if (this.#info?.instance_id !== undefined) {
        await removeServerInfoIfOwned(this.serverJsonPath, { pid: this.#info.pid, instance_id: this.#info.instance_id });
      }
      this.#app = undefined;
    })();
    return this.#stopping;
  }

  /** Removes our server.json synchronously (for the process `exit` hook). */
  removeDiscoveryFileSync(): void {
    if (this.#info?.instance_id !== undefined)
      removeServerInfoIfOwnedSync(this.serverJsonPath, { pid: this.#info.pid, instance_id: this.#info.instance_id });
  }
}
