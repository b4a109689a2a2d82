import { randomBytes, randomUUID } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { coreNasSync, CreationController } from '@exlab/controller';
import {
  APP_DISPLAY_NAME,
  ENV,
  EXIT_CODES,
  FILE_NAMES,
  PRODUCT_VERSION,
  TIMINGS,
  type LogLevel,
  type TrayMode,
} from '@exlab/core/constants';
import { ConfigError, ExLabError, describeError } from '@exlab/core/errors';
import { appendEquipmentLog, createLogger, type Logger } from '@exlab/core/logging';
import { flushModuleCompileCacheSoon, resolveAppDirs } from '@exlab/core/paths';
import {
  acquireInstanceLock,
  currentProcessStartToken,
  currentRunDir,
  ensureWritableDir,
  isProcessAlive,
  readServerInfo,
  writeRunResult,
  writeRunResultSync,
  type InstanceLock,
  type ServerInfo,
} from '@exlab/core/process';
import type { AppOpenWindowResponse, AppState } from '@exlab/core/schemas';
import { NasSync } from '@exlab/core/sync';
import { Autostart, setAutostart } from './autostart.js';
import { systemClock, type Clock } from './clock.js';
import { resolveConfigSource, setupStatusOf, type ConfigSource } from './config-source.js';
import { registerControlRoutes, type TrayControl } from './control-routes.js';
import { detectNotificationBackend, NotificationCenter, type NotificationBackend } from './notifications.js';
import {
  QuitCoordinator,
  safeCount,
  type ForceQuitAnswer,
  type QuitOutcome,
  type QuitRequest,
  type QuitWorkload,
} from './quit-coordinator.js';
import { ServerRunner } from './server-runner.js';
import { StatusTicker, type StatusSource } from './status-label.js';
import { readTestHooks } from './test-hooks.js';
import { systrayIconFactory } from './systray-icon.js';
import { buildTrayMenu, hasDesktopSession, type TrayIcon, type TrayIconFactory } from './tray-icon.js';
import { resolveWindowCommand, WindowLauncher, type WindowExit } from './window-launcher.js';

/**
 * The UI side of the tray (W5, Q4), provided by the WebSocket layer of the window UI: how many
 * UIs are connected, whether one is in the foreground, and how to reach them.
 */
export interface UiChannel {
  /** Connected UI clients. */
  connected(): number;
  /** True while a connected UI reports it is visible and focused. */
  inForeground(): boolean;
  /** Sends `focus` to the window (W1). */
  focus(): void;
  /** Shows the force-quit prompt in the window and returns the operator's answer. */
  askForceQuit(message: string, signal: AbortSignal): Promise<ForceQuitAnswer>;
  /** Closes every UI connection (server preClose). */
  closeAll(): Promise<void> | void;
}

/** Options of {@link startTray}. */
export interface TrayOptions {
  /** `--state-dir`: overrides `EXLAB_STATE_DIR` and the OS default. */
  stateDir?: string | undefined;
  /** `--config FILE`. */
  configPath?: string | undefined;
  /** `--port N`: a fixed port (0 or absent = any free port; `EXLAB_PORT` when absent). */
  port?: number | undefined;
  /** `--headless`: no tray icon, no window, no autostart check. */
  headless?: boolean | undefined;
  /** `--smoke` (T5): server only, no icon; prints `exlab-wizard-tray smoke: server on port N`. */
  smoke?: boolean | undefined;
  /** `--open-window`: open the window at start even when this is not the first launch. */
  openWindow?: boolean | undefined;
  /** `--testing` (T5, development builds): enables the EXLAB_TEST_* hooks. */
  testing?: boolean | undefined;
  /** `--no-demo`: never create or use the embedded demo lab. */
  noDemo?: boolean | undefined;
  /** `--log-level`. */
  logLevel?: LogLevel | undefined;
  /** Environment to resolve directories from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where human-readable messages go (default process.stdout / process.stderr). */
  stdout?: NodeJS.WritableStream | undefined;
  stderr?: NodeJS.WritableStream | undefined;
  /** The command that starts this tray in the foreground; autostart registers it (A5). */
  selfCommand?: readonly string[] | undefined;
  /** Tray icon factory (default {@link systrayIconFactory}, its helper copied under the state dir). */
  iconFactory?: TrayIconFactory | undefined;
  /** OS notification backend (default: detected; null = none). */
  notificationBackend?: NotificationBackend | null | undefined;
  /** Window command (default {@link resolveWindowCommand}). */
  windowCommand?: (() => Promise<string[] | null>) | undefined;
  /** The UI channel, once the WebSocket layer provides one. */
  ui?: UiChannel | undefined;
  /** Extra work the quit waits for and the status shows (sync client, ...). */
  workload?: (QuitWorkload & StatusSource) | undefined;
  /** Monotonic clock of every tray timer. */
  clock?: Clock | undefined;
}

/** A running tray. */
export interface RunningTray {
  /** The bound port. */
  port: number;
  /** Per-launch token. */
  token: string;
  /** This launch's id. */
  instanceId: string;
  /** tray, window-only, smoke or headless. */
  mode: TrayMode;
  /** Path of server.json. */
  serverJsonPath: string;
  /** The window launcher (W1). */
  window: WindowLauncher;
  /** The notification center (N1, N2). */
  notifications: NotificationCenter;
  /** Graceful quit (§4.3.2); a second call joins the first. */
  quit(request: QuitRequest): Promise<QuitOutcome>;
  /** Immediate quit without a drain (idempotent); resolves when files are removed. */
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

/** Reads a count from the controller without depending on its shape (it changes with the controller step). */
function controllerCount(controller: unknown, method: 'activeCount' | 'inputRequiredCount'): () => unknown {
  return () => {
    const sessions = (controller as { sessions?: Record<string, unknown> } | null)?.sessions;
    const read = sessions?.[method];
    return typeof read === 'function' ? (read as () => unknown).call(sessions) : 0;
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * When another tray holds the lock: a supervised twin (launchd, systemd) exits 0 when the running
 * one is healthy so the supervisor does not respawn it (T9); everyone else exits 3 naming it (T2).
 */
async function alreadyRunningError(
  cause: ExLabError,
  stateDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<TrayStartError> {
  const holder = (cause.details?.holder ?? {}) as { pid?: number; pid_start?: string | null };
  const running = await readServerInfo(join(stateDir, FILE_NAMES.serverJson)).catch(() => null);
  const named = running !== null && running.pid === holder.pid ? running : null;
  const port = named !== null ? String(named.port) : 'not bound yet';
  const message = `${APP_DISPLAY_NAME} already running (pid ${holder.pid ?? '?'}, port ${port})`;
  const supervisor = env[ENV.supervisor];
  if (supervisor !== undefined && supervisor !== '' && named !== null && (await twinIsHealthy(named))) {
    return new TrayStartError(
      new ExLabError('already_running', `${message}; supervised by ${supervisor}, leaving it be`, { details: cause.details }),
      EXIT_CODES.ok,
    );
  }
  return new TrayStartError(new ExLabError('already_running', message, { details: cause.details }), EXIT_CODES.alreadyRunning);
}

async function twinIsHealthy(info: ServerInfo): Promise<boolean> {
  if (!(await isProcessAlive(info.pid, info.pid_start ?? null))) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${info.port}/api/v1/health`, {
      headers: { authorization: `Bearer ${info.token}` },
      signal: AbortSignal.timeout(TIMINGS.windowHandshakeMs),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function portFrom(options: TrayOptions, env: Readonly<Record<string, string | undefined>>): number {
  if (options.port !== undefined) return options.port;
  const fromEnv = env[ENV.port];
  if (fromEnv === undefined || fromEnv === '') return 0;
  const port = Number(fromEnv);
  if (!/^\d+$/.test(fromEnv) || port > 65535)
    throw new TrayStartError(
      new ExLabError('validation_failed', `${ENV.port}="${fromEnv}" is not a port number (0-65535).`),
      EXIT_CODES.usage,
    );
  return port;
}

/**
 * Starts the tray in order (lifecycle.md T1): state dir writable (else exit 5), instance lock
 * (else exit 3; a supervised twin of a healthy tray exits 0, T9), config or demo lab, bind (a taken
 * fixed port is exit 4), server.json, tray icon (or the window-only fallback, T8), the window
 * (first launch, `--open-window`, or window-only), the autostart check (A5). Signal handling is
 * the caller's: see {@link runTrayForeground}.
 */
export async function startTray(options: TrayOptions = {}): Promise<RunningTray> {
  const baseEnv = options.env ?? process.env;
  const env = options.stateDir !== undefined ? { ...baseEnv, [ENV.stateDir]: options.stateDir } : baseEnv;
  const dirs = resolveAppDirs({ env });
  const clock = options.clock ?? systemClock;
  const hooks = readTestHooks(env, options.testing === true);
  const startedAt = new Date();
  const port = portFrom(options, env);
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
    throw await alreadyRunningError(cause, dirs.stateDir, env);
  }

  let runner: ServerRunner | undefined;
  let logger: Logger | undefined;
  try {
    await hooks.holdAfterLock();
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
    // L8: the config component's startup line names the file and its digest.
    log
      .child({ component: 'config' })
      .info(`config ${source.path ?? '(none)'} digest ${source.digest ?? '-'}${source.demo ? ' (embedded demo lab)' : ''}`);

    // Replaced by PUT /config (applyConfig): setup state, creation and audits read the new one at once.
    let config = source.config;
    // The NAS sync queue (§7.1) opens once the server listens (nothing in it is needed to answer
    // health); creations wait for it, and its worker takes up the jobs a previous run left (the
    // queue survives restarts and quits, Q5).
    const syncLog = log.child({ component: 'sync' });
    let nasSync: NasSync | null = null;
    let syncOpened: ((value: Promise<NasSync>) => void) | null = null;
    const syncOpening = new Promise<NasSync>((resolve) => (syncOpened = resolve));
    const openSync = (): void => {
      syncOpened?.(NasSync.open({ queuePath: join(dirs.stateDir, FILE_NAMES.syncQueue), getConfig: () => config, logger: syncLog }));
      syncOpened = null;
    };
    syncOpening.then(
      (opened) => {
        nasSync = opened;
        opened.start();
      },
      (error: unknown) => syncLog.error(`the NAS sync queue cannot be opened: ${describeError(error)}; finished runs stay pending`),
    );
    const controller = new CreationController({
      getConfig: () => config,
      ports: { sync: coreNasSync(syncOpening) },
      // Plugin stderr goes to <central log>/plugins/<plugin>/<run>.stderr (requirements A7).
      logDir: join(dirs.logDir, 'plugins'),
      logger: log.child({ component: 'controller' }),
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
    const workload: QuitWorkload & StatusSource = {
      activeSessions: () => sumCounts(controllerCount(controller, 'activeCount'), options.workload?.activeSessions, hooks.busySessions),
      inFlightSyncJobs: () => sumCounts(() => nasSync?.stats().in_flight, options.workload?.inFlightSyncJobs),
      syncJobs: () => sumCounts(() => syncJobCount(nasSync), options.workload?.syncJobs),
      pluginsNeedingInput: () => sumCounts(controllerCount(controller, 'inputRequiredCount'), options.workload?.pluginsNeedingInput),
    };

    let shuttingDown = false;
    const token = randomBytes(32).toString('hex');
    const ui = options.ui;
    let mode: TrayMode = options.smoke ? 'smoke' : options.headless ? 'headless' : 'tray';
    let boundPort = 0;
    const runDir = currentRunDir(baseEnv);

    // Everything below is wired before the bind: a control request may arrive the moment the port is open.
    const notifications = new NotificationCenter({
      backend: options.notificationBackend !== undefined ? options.notificationBackend : await detectNotificationBackend({ env }),
      isForeground: () => ui?.inForeground() === true,
      clock,
      logger: log,
    });
    const launcher = new WindowLauncher({
      command: options.windowCommand ?? (() => resolveWindowCommand({ env })),
      stateDir: dirs.stateDir,
      env,
      logger: log,
      clock,
      onFocus: () => ui?.focus(),
      onExit: (exit) => onWindowExit(exit),
    });
    let icon: TrayIcon | null = null;
    let iconUnavailable: string | null = null;
    const ticker = new StatusTicker({ source: workload, clock, onChange: (label) => icon?.setStatus(label) });
    const healTimer = setInterval(() => heal('self-heal tick'), TIMINGS.selfHealIntervalMs);
    healTimer.unref();
    let uiWatch: (() => void) | undefined;
    let cancelEscalationWatch: (() => void) | undefined;

    let resolveStopped!: (code: number) => void;
    const stopped = new Promise<number>((resolve) => {
      resolveStopped = resolve;
    });
    let forcedQuit = false;
    const coordinator = new QuitCoordinator({
      workload,
      clock,
      logger: log,
      drainMs: hooks.drainMs,
      signalDrainMs: hooks.signalDrainMs,
      promptAnswerMs: hooks.promptAnswerMs,
      onQuitStarted: () => {
        shuttingDown = true;
        // The drain waits for the push in hand only; queued jobs stay for the next start.
        nasSync?.pause();
      },
      prompt: (message, signal) => {
        if (ui !== undefined && ui.connected() > 0) return ui.askForceQuit(message, signal);
        // No UI: an OS notification says what is going on. Nobody can answer it there, so the
        // prompt becomes Force quit after its window (Q4) unless `POST /app/quit {force}` comes first.
        notifications.notify('quit_prompt', message);
        return new Promise<ForceQuitAnswer>((resolve) => signal.addEventListener('abort', () => resolve('force'), { once: true }));
      },
      teardown: () => [
        { name: 'window', run: () => launcher.close() },
        {
          name: 'ticker',
          run: () => {
            ticker.stop();
            clearInterval(healTimer);
            uiWatch?.();
            cancelEscalationWatch?.();
          },
        },
        { name: 'notifications', run: () => notifications.close() },
        { name: 'icon', run: () => icon?.dispose() },
        { name: 'server', run: () => activeRunner.stop() },
        // After the server: no new sessions can arrive; running ones are aborted with their files kept, workers killed.
        { name: 'controller', run: () => controller.close() },
        // The drain already waited for a push in flight; one still running now goes back to the queue for the next start.
        {
          name: 'sync',
          run: () => {
            // A quit before the queue opened still opens and closes it, so nothing waits on it forever.
            openSync();
            return syncOpening.then((opened) => opened.stop(0)).catch(() => undefined);
          },
        },
        {
          name: 'logs',
          run: async () => {
            log.info('stopped');
            await log.close();
          },
        },
        { name: 'result', run: () => writeRunResult({ exit_code: EXIT_CODES.ok, forced: forcedQuit, instance_id: instanceId }, runDir) },
        { name: 'lock', run: () => lock.release() },
      ],
    });
    const quit = async (request: QuitRequest): Promise<QuitOutcome> => {
      if (!coordinator.inProgress) forcedQuit = request.force === true;
      const outcome = await coordinator.quit(request);
      forcedQuit ||= outcome.forced;
      process.off('exit', onExit);
      resolveStopped(EXIT_CODES.ok);
      return outcome;
    };

    // A crash or process.exit() skips the teardown; this hook still removes our two files (T3)
    // and, for a detached run, records the exit (a second signal is still a quit: exit 0).
    const onExit = (code: number): void => {
      activeRunner.removeDiscoveryFileSync();
      lock.releaseSync();
      if (code === EXIT_CODES.ok) writeRunResultSync({ exit_code: code, forced: true, instance_id: instanceId }, runDir);
    };

    const control: TrayControl = {
      openWindow: async (): Promise<AppOpenWindowResponse> => {
        if (mode === 'smoke' || mode === 'headless') return { action: 'unavailable', pid: null, reason: `the tray runs in ${mode} mode` };
        const action = await launcher.open();
        return action === 'unavailable'
          ? { action, pid: null, reason: 'no window program or browser could be started' }
          : { action, pid: launcher.pid };
      },
      quit: (request) => {
        void quit({
          reason: 'control',
          force: request.force,
          drainMs: request.drain_seconds === undefined ? undefined : request.drain_seconds * 1000,
          prompt: request.prompt,
        });
      },
      state: (): AppState => ({
        mode,
        status_label: ticker.label,
        quitting: coordinator.inProgress,
        window: { alive: launcher.alive, pid: launcher.pid, spawned: launcher.spawnCount },
        icon_unavailable_reason: iconUnavailable,
      }),
      setAutostart: (enabled) => setAutostart(autostartFor(options, env), enabled),
    };

    runner = new ServerRunner({
      stateDir: dirs.stateDir,
      pidStart: await currentProcessStartToken(),
      mode,
      startedAt,
      context: {
        token,
        version: PRODUCT_VERSION,
        instanceId,
        configPath: source.path ?? undefined,
        controller,
        getConfig: () => config,
        applyConfig: (next) => {
          config = next;
          nasSync?.wake();
          log.info('config changed through the API; applied without a restart');
        },
        getSetupStatus: () => setupStatusOf(config),
        isShuttingDown: () => shuttingDown,
        logger: log,
        registerExtraRoutes: (app: FastifyInstance) => registerControlRoutes(app, control, token),
        onPreClose: () => ui?.closeAll(),
      },
    });
    const activeRunner = runner;
    const heal = (why: string): void => {
      activeRunner.healDiscoveryFile().then(
        (rewritten) => rewritten && log.warn(`server.json was missing or foreign (${why}); rewrote it`),
        (error: unknown) => log.warn(`could not check server.json: ${describeError(error)}`),
      );
    };
    try {
      boundPort = await runner.start(port);
    } catch (error) {
      clearInterval(healTimer);
      // F4: a full or read-only state dir fails the server.json write (no partial file is left): exit 5.
      const os = (error as NodeJS.ErrnoException | null)?.code;
      if (os !== undefined && STATE_WRITE_ERRORS.has(os)) {
        throw new TrayStartError(
          new ExLabError('state_dir_unwritable', `Cannot write ${runner.serverJsonPath}: ${describeError(error)}`, { cause: error }),
          EXIT_CODES.stateUnwritable,
        );
      }
      const cause = asExLabError(error);
      throw new TrayStartError(cause, cause.code === 'port_in_use' ? EXIT_CODES.portInUse : EXIT_CODES.failure);
    }
    process.once('exit', onExit);
    log.info(`listening on http://127.0.0.1:${boundPort}/ (pid ${process.pid}, instance ${instanceId}, mode ${mode})`);
    // Node writes its compile cache only at a normal exit; a tray killed later would leave none.
    flushModuleCompileCacheSoon(TIMINGS.compileCacheFlushMs);
    setImmediate(openSync);

    let windowOnlyReopened = false;
    const onWindowExit = (exit: WindowExit): void => {
      if (coordinator.inProgress) return;
      if (exit.code === EXIT_CODES.noTray) {
        // The window found no live tray: our server.json is missing or damaged (T6).
        heal('window exited 2');
        if (mode === 'window-only' && !windowOnlyReopened) {
          windowOnlyReopened = true;
          void launcher.open();
        }
        return;
      }
      if (mode !== 'window-only') return;
      if (exit.usedFallback) {
        log.info('window-only mode with the default browser: quitting 10 s after the last UI disconnects');
        watchUiPresence();
      } else if (exit.code === EXIT_CODES.ok) {
        log.info('window closed in window-only mode; quitting (§15.7.4)');
        void quit({ reason: 'operator' });
      } else if (exit.signal !== null) {
        // Killed from outside (F11), not closed by the operator: the server stays up for the next Open.
        log.warn(`the window was killed (${exit.signal}); the tray keeps running, Open starts a new one`);
      } else {
        log.warn(`the window could not be shown (exit ${exit.code}); the tray keeps running: http://127.0.0.1:${boundPort}/`);
      }
    };
    // T8: with the default browser there is no window to watch; the UI WebSocket stands in for it.
    const watchUiPresence = (): void => {
      if (ui === undefined) {
        log.warn('no UI channel tells when the browser tab closes; the tray keeps running until Quit or "exlab stop"');
        return;
      }
      let seen = false;
      let idleSince: number | undefined;
      const tick = (): void => {
        if (ui.connected() > 0) {
          seen = true;
          idleSince = undefined;
        } else if (seen) {
          idleSince ??= clock.now();
          if (clock.now() - idleSince >= TIMINGS.windowOnlyIdleQuitMs) {
            void quit({ reason: 'operator' });
            return;
          }
        }
        uiWatch = clock.setTimer(1_000, tick);
      };
      tick();
    };

    // N1: a plugin newly waiting for input is noticed within a second and queued for a notification.
    let waitingBefore = 0;
    const escalationWatch = (): void => {
      const waiting = safeCount(workload.pluginsNeedingInput);
      for (let i = waitingBefore; i < waiting; i += 1) notifications.pluginNeedsInput();
      waitingBefore = waiting;
      cancelEscalationWatch = clock.setTimer(1_000, escalationWatch);
    };
    if (mode === 'tray') {
      const factory = options.iconFactory ?? systrayIconFactory(dirs.stateDir);
      const menuActions = { open: () => launcher.open(), quit: () => quit({ reason: 'operator' }) };
      if (!hasDesktopSession(env)) {
        iconUnavailable = 'no desktop session (no DISPLAY or WAYLAND_DISPLAY)';
      } else {
        try {
          const made = await factory((status) => buildTrayMenu(status, menuActions, log), log);
          icon = made.icon;
          if (made.icon === null) iconUnavailable = made.reason;
        } catch (error) {
          iconUnavailable = `tray icon failed: ${describeError(error)}`;
        }
      }
      if (icon === null) {
        mode = 'window-only';
        log.warn(`no tray icon (${iconUnavailable}); window-only mode: closing the window quits the app (§15.7.4)`);
        await activeRunner.setMode(mode);
      }
      ticker.start();
      escalationWatch();
    }

    if (source.demo) {
      write(
        options.stdout,
        source.demo.created ? `Created the demo lab in ${source.demo.root}\n` : `Using the demo lab in ${source.demo.root}\n`,
      );
    }
    if (mode === 'smoke') write(options.stdout, `exlab-wizard-tray smoke: server on port ${boundPort}\n`);
    write(options.stdout, `${APP_DISPLAY_NAME} ${PRODUCT_VERSION} running at http://127.0.0.1:${boundPort}/ (pid ${process.pid})\n`);
    write(options.stdout, `Open the UI: http://127.0.0.1:${boundPort}/?token=${token}\n`);

    if (mode === 'tray' || mode === 'window-only') {
      const marker = join(dirs.stateDir, FILE_NAMES.firstLaunchMarker);
      const firstLaunch = !(await exists(marker));
      if (mode === 'window-only' || options.openWindow || firstLaunch) void launcher.open();
      if (firstLaunch) await writeFile(marker, `${startedAt.toISOString()}\n`, { mode: 0o600 }).catch(() => undefined);
      try {
        if (await autostartFor(options, env).ensureCurrent()) log.info('autostart pointed at another command; re-registered this one (A5)');
      } catch (error) {
        log.warn(`autostart check failed: ${describeError(error)}`);
      }
    }

    const stop = async (): Promise<void> => {
      await quit({ reason: 'control', force: true });
    };
    return {
      port: boundPort,
      token,
      instanceId,
      mode,
      serverJsonPath: activeRunner.serverJsonPath,
      window: launcher,
      notifications,
      quit,
      stop,
      stopped,
    };
  } catch (error) {
    await runner?.stop().catch(() => undefined);
    await logger?.close().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

// Errors of the server.json write that mean the state dir cannot be written (exit 5).
const STATE_WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/** Sync jobs the status label counts: waiting, and the one in hand. */
function syncJobCount(sync: NasSync | null): number {
  if (sync === null) return 0;
  const stats = sync.stats();
  return stats.queue_depth + stats.in_flight;
}

function sumCounts(...reads: readonly ((() => unknown) | undefined)[]): number {
  let total = 0;
  for (const read of reads) {
    if (read === undefined) continue;
    try {
      const n = Number(read());
      if (Number.isFinite(n) && n > 0) total += n;
    } catch {
      // Q3: a throwing count reads as 0.
    }
  }
  return total;
}

function autostartFor(options: TrayOptions, env: Readonly<Record<string, string | undefined>>): Autostart {
  const entry = process.argv[1];
  const command = options.selfCommand ?? (entry === undefined ? [process.execPath] : [process.execPath, entry]);
  return new Autostart({ command, env });
}

/**
 * Runs the tray in the foreground until it quits (returns the exit code). SIGTERM, SIGINT and
 * SIGHUP start a quit with the 5 s drain and no prompt; a second signal exits at once (Q6).
 * Start failures print one clear line to stderr.
 */
export async function runTrayForeground(options: TrayOptions = {}): Promise<number> {
  // The handlers go in before the start: a signal that arrives while the tray starts (server.json may
  // already be on disk) quits it once it is up, instead of killing it with the lock left behind.
  let tray: RunningTray | null = null;
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_CODES.ok);
    if (tray !== null) void tray.quit({ reason: 'signal' });
  };
  const signalNames = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  for (const signal of signalNames) process.on(signal, onSignal);
  try {
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
    if (signals > 0) void tray.quit({ reason: 'signal' });
    return await tray.stopped;
  } finally {
    for (const signal of signalNames) process.off(signal, onSignal);
  }
}

function write(stream: NodeJS.WritableStream | undefined, text: string): void {
  (stream ?? process.stdout).write(text);
}

function asExLabError(error: unknown): ExLabError {
  return error instanceof ExLabError ? error : new ExLabError('internal_error', describeError(error), { cause: error });
}
