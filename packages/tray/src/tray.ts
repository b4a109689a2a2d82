import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CreationController } from '@exlab/controller';
import { ENV, EXIT_CODES, FILE_NAMES, PRODUCT_VERSION, TIMINGS, type LogLevel } from '@exlab/core/constants';
import { ConfigError, ExLabError, describeError } from '@exlab/core/errors';
import { appendEquipmentLog, createLogger, type Logger } from '@exlab/core/logging';
import { resolveAppDirs } from '@exlab/core/paths';
import { acquireInstanceLock, currentProcessStartToken, ensureWritableDir, readServerInfo, type InstanceLock } from '@exlab/core/process';
import { resolveConfigSource, setupStatusOf, type ConfigSource } from './config-source.js';
import { ServerRunner } from './server-runner.js';

/** Options of {@link startTray}. */
export interface TrayOptions {
  /** `--state-dir`: overrides `EXLAB_STATE_DIR` and the OS default. */
  stateDir?: string | undefined;
  /** `--config FILE`. */
  configPath?: string | undefined;
  /** `--port N`: a fixed port (0 or absent = any free port). */
  port?: number | undefined;
  /** `--headless`: no tray icon and no window. */
  headless?: boolean | undefined;
  /** `--no-demo`: never create or use the embedded demo lab. */
  noDemo?: boolean | undefined;
  /** `--log-level`. */
  logLevel?: LogLevel | undefined;
  /** Environment to resolve directories from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where human-readable messages go (default process.stdout / process.stderr). */
  stdout?: NodeJS.WritableStream | undefined;
  stderr?: NodeJS.WritableStream | undefined;
}

/** A running tray. */
export interface RunningTray {
  /** The bound port. */
  port: number;
  /** Per-launch token. */
  token: string;
  /** Path of server.json. */
  serverJsonPath: string;
  /** Stops the tray (idempotent); resolves when files are removed. */
  stop(): Promise<void>;
  /** Resolves with the exit code once the tray has stopped. */
  stopped: Promise<number>;
}

/** A tray that could not start, with the exit code of lifecycle.md §10. */
export class TrayStartError extends ExLabError {
  /** Process exit code. */
  readonly exitCode: number;

  constructor(error: ExLabError, exitCode: number) {
    super(error.code, error.message, { field: error.field, details: error.details, cause: error });
    this.exitCode = exitCode;
  }
}

/**
 * Starts the tray in order (lifecycle.md T1): state dir writable (else exit 5), instance lock
 * (else exit 3), config or demo lab, bind (a taken fixed port is exit 4), server.json. Signal
 * handling is the caller's: see {@link runTrayForeground}.
 */
export async function startTray(options: TrayOptions = {}): Promise<RunningTray> {
  const baseEnv = options.env ?? process.env;
  const env = options.stateDir !== undefined ? { ...baseEnv, [ENV.stateDir]: options.stateDir } : baseEnv;
  const dirs = resolveAppDirs({ env });
  const startedAt = new Date();
  try {
    await ensureWritableDir(dirs.stateDir);
  } catch (error) {
    throw new TrayStartError(asExLabError(error), EXIT_CODES.stateUnwritable);
  }

  const instanceId = randomUUID();
  let lock: InstanceLock;
  try {
    lock = await acquireInstanceLock(join(dirs.stateDir, FILE_NAMES.trayLock), { instanceId });
  } catch (error) {
    const cause = asExLabError(error);
    if (cause.code !== 'already_running') throw new TrayStartError(cause, EXIT_CODES.failure);
    const holder = (cause.details?.holder ?? {}) as { pid?: number };
    const running = await readServerInfo(join(dirs.stateDir, FILE_NAMES.serverJson)).catch(() => null);
    const port = running !== null && running.pid === holder.pid ? String(running.port) : 'not bound yet';
    throw new TrayStartError(
      new ExLabError('already_running', `ExLab-Wizard already running (pid ${holder.pid ?? '?'}, port ${port})`, {
        details: cause.details,
      }),
      EXIT_CODES.alreadyRunning,
    );
  }

  let runner: ServerRunner | undefined;
  let logger: Logger | undefined;
  try {
    let source: ConfigSource;
    try {
      source = await resolveConfigSource({
        explicitPath: options.configPath,
        defaultPath: dirs.configFile,
        dataDir: dirs.dataDir,
        noDemo: options.noDemo,
      });
    } catch (error) {
      throw new TrayStartError(asExLabError(error), EXIT_CODES.failure);
    }
    const logging = source.config?.logging;
    logger = createLogger({
      level: options.logLevel ?? logging?.level,
      appLogPath: dirs.appLog,
      maxBytes: logging ? logging.central_log_max_mb * 1024 * 1024 : undefined,
      keep: logging?.central_log_keep,
      component: 'tray',
      stderr: options.stderr,
    });
    const log = logger;
    log.info(
      `[component:config] config ${source.path ?? '(none)'} digest ${source.digest ?? '-'}${source.demo ? ' (embedded demo lab)' : ''}`,
    );

    const config = source.config;
    const controller = new CreationController({
      getConfig: () => config,
      events: {
        created: (info) => {
          const tags = { equip: info.equipmentId, proj: info.project, kind: info.runKind };
          appendEquipmentLog(info.equipmentDirectory, {
            level: 'INFO',
            tags,
            msg: `Run created from ${info.template} v${info.version}: ${info.path}`,
          });
          log.info(`run created: ${info.path}`, tags);
        },
        warning: (info) =>
          log.warn(`after creating a run on ${info.equipmentId}/${info.project}: ${info.message}`, {
            equip: info.equipmentId,
            proj: info.project,
          }),
        failed: (info) =>
          log.warn(`creation failed on ${info.equipmentId}/${info.project}: ${describeError(info.error)}`, {
            equip: info.equipmentId,
            proj: info.project,
          }),
      },
    });
    let shuttingDown = false;
    const token = randomBytes(32).toString('hex');
    runner = new ServerRunner({
      stateDir: dirs.stateDir,
      pidStart: await currentProcessStartToken(),
      mode: options.headless ? 'headless' : 'tray',
      startedAt,
      context: {
        token,
        version: PRODUCT_VERSION,
        instanceId,
        configPath: source.path ?? undefined,
        controller,
        getConfig: () => config,
        getSetupStatus: () => setupStatusOf(config),
        isShuttingDown: () => shuttingDown,
        logger: log,
      },
    });
    let port: number;
    try {
      port = await runner.start(options.port ?? 0);
    } catch (error) {
      const cause = asExLabError(error);
      throw new TrayStartError(cause, cause.code === 'port_in_use' ? EXIT_CODES.portInUse : EXIT_CODES.failure);
    }
    log.info(`listening on http://127.0.0.1:${port}/ (pid ${process.pid}, instance ${instanceId})`);

    const activeRunner = runner;
    const heal = setInterval(() => {
      activeRunner.healDiscoveryFile().then(
        (rewritten) => rewritten && log.warn('server.json was missing or foreign; rewrote it'),
        (error: unknown) => log.warn(`could not check server.json: ${describeError(error)}`),
      );
    }, TIMINGS.selfHealIntervalMs);
    heal.unref();

    // A crash or process.exit() skips stop(); this hook still removes our two files (T3).
    const onExit = (): void => {
      activeRunner.removeDiscoveryFileSync();
      lock.releaseSync();
    };
    process.once('exit', onExit);

    let resolveStopped!: (code: number) => void;
    const stopped = new Promise<number>((resolve) => {
      resolveStopped = resolve;
    });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        shuttingDown = true;
        clearInterval(heal);
        await activeRunner.stop();
        log.info('stopped');
        await log.close();
        await lock.release();
        process.off('exit', onExit);
        resolveStopped(EXIT_CODES.ok);
      })();
      return stopping;
    };
    if (source.demo) {
      write(
        options.stdout,
        source.demo.created ? `Created the demo lab in ${source.demo.root}\n` : `Using the demo lab in ${source.demo.root}\n`,
      );
    }
    write(options.stdout, `ExLab-Wizard ${PRODUCT_VERSION} running at http://127.0.0.1:${port}/ (pid ${process.pid})\n`);
    write(options.stdout, `Open the UI: http://127.0.0.1:${port}/?token=${token}\n`);
    return { port, token, serverJsonPath: activeRunner.serverJsonPath, stop, stopped };
  } catch (error) {
    await runner?.stop().catch(() => undefined);
    await logger?.close().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

/**
 * Runs the tray in the foreground until SIGTERM, SIGINT or SIGHUP (a second signal exits at
 * once); returns the process exit code. Start failures print one clear line to stderr.
 */
export async function runTrayForeground(options: TrayOptions = {}): Promise<number> {
  let tray: RunningTray;
  try {
    tray = await startTray(options);
  } catch (error) {
    const exitCode = error instanceof TrayStartError ? error.exitCode : EXIT_CODES.failure;
    write(
      options.stderr ?? process.stderr,
      `${error instanceof ConfigError || error instanceof ExLabError ? error.message : describeError(error)}\n`,
    );
    return exitCode;
  }
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_CODES.ok);
    void tray.stop();
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
  const code = await tray.stopped;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(signal, onSignal);
  return code;
}

function write(stream: NodeJS.WritableStream | undefined, text: string): void {
  (stream ?? process.stdout).write(text);
}

function asExLabError(error: unknown): ExLabError {
  return error instanceof ExLabError ? error : new ExLabError('internal_error', describeError(error), { cause: error });
}
