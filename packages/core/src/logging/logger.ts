import { hostname as osHostname } from 'node:os';
import pino from 'pino';
import { CONFIG_DEFAULTS, type LogLevel } from '../constants/index.js';
import { describeError } from '../errors/index.js';
import { formatLogLine } from './line-format.js';
import { getLogContext } from './log-context.js';
import { logLevelRank } from './log-level.js';
import { mergeLogTags, type LogTags } from './log-tags.js';
import { redactSecrets } from './redact.js';
import { RotatingFileSink } from './rotating-file.js';

const MIB = 1024 * 1024;

/** Structured fields of one event, written after the message as `key=value`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logger every component uses (§16.2); children share the level and the sinks of their root. */
export interface Logger {
  /** Step-by-step internal events (§16.5). */
  debug(msg: string, fields?: LogFields): void;
  /** Lifecycle events operators read. */
  info(msg: string, fields?: LogFields): void;
  /** Recoverable failures; also written to stderr. */
  warn(msg: string, fields?: LogFields): void;
  /** Non-recoverable failures within an operation; also written to stderr. */
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `tags` on top of this one's (and over the ambient context). */
  child(tags: Readonly<LogTags>): Logger;
  /** Changes the global threshold live, for this logger, its root and every child (L3). */
  setLevel(level: LogLevel): void;
  /** The current threshold. */
  readonly level: LogLevel;
  /** Resolves when every line logged so far has reached the app log. */
  flush(): Promise<void>;
  /** Drains and closes the app log (clean quit, L6); shared by the root and all children. */
  close(): Promise<void>;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Threshold for every sink (default `logging.level`, INFO). */
  level?: LogLevel | undefined;
  /** Central app log file; without it the logger writes to stderr only. */
  appLogPath?: string | undefined;
  /** Rotation threshold of the app log in bytes (default `central_log_max_mb`, 10 MiB). */
  maxBytes?: number | undefined;
  /** Rotated app logs kept (default `central_log_keep`, 5). */
  keep?: number | undefined;
  /** Lowest level also written to stderr (default WARN); `off` writes nothing there. */
  stderrLevel?: LogLevel | 'off' | undefined;
  /** Stream that stands in for stderr (default `process.stderr`). */
  stderr?: NodeJS.WritableStream | undefined;
  /** `[component:]` tag of every line of this logger. */
  component?: string | undefined;
  /** `[host:]` tag of every line (default `os.hostname()`). */
  hostname?: string | undefined;
  /** Time source of line timestamps (default the wall clock). */
  clock?: (() => Date) | undefined;
}

type PinoLevelName = 'debug' | 'info' | 'warn' | 'error';

const PINO_LEVEL: Readonly<Record<LogLevel, PinoLevelName>> = { DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

function fromPinoLevel(value: number): LogLevel {
  const levels = pino.levels.values;
  if (value >= (levels.error ?? 50)) return 'ERROR';
  if (value >= (levels.warn ?? 40)) return 'WARN';
  if (value >= (levels.info ?? 30)) return 'INFO';
  return 'DEBUG';
}

/** What the logger hands to pino as the merge object of each call. */
interface EventObject {
  tags?: LogTags;
  fields?: LogFields;
  ctx?: Readonly<LogTags>;
}

/**
 * pino destination that receives each record as objects (pino's documented `pino.metadata` hook)
 * instead of re-parsing pino's JSON, and hands it to the formatter.
 */
class RecordDestination {
  readonly [pino.symbols.needsMetadataGsym] = true;
  lastLevel = 0;
  lastMsg = '';
  lastObj: object = {};
  lastTime = '';
  lastLogger: unknown = undefined;

  // A private field, not `emit`: pino calls `emit('message', ...)` on any destination that has one.
  readonly #onRecord: (level: number, event: EventObject, msg: string) => void;

  constructor(onRecord: (level: number, event: EventObject, msg: string) => void) {
    this.#onRecord = onRecord;
  }

  /** Called by pino once per record, right after the `last*` fields are set. */
  write(): void {
    this.#onRecord(this.lastLevel, this.lastObj as EventObject, this.lastMsg);
  }
}

/** State shared by a root logger and all its children. */
interface LoggerCore {
  readonly pino: pino.Logger;
  readonly sink: RotatingFileSink | undefined;
}

class PinoBackedLogger implements Logger {
  constructor(
    private readonly core: LoggerCore,
    private readonly bound: Readonly<LogTags>,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.core.pino.debug(this.event(fields), msg);
  }

  info(msg: string, fields?: LogFields): void {
    this.core.pino.info(this.event(fields), msg);
  }

  warn(msg: string, fields?: LogFields): void {
    this.core.pino.warn(this.event(fields), msg);
  }

  error(msg: string, fields?: LogFields): void {
    this.core.pino.error(this.event(fields), msg);
  }

  child(tags: Readonly<LogTags>): Logger {
    return new PinoBackedLogger(this.core, mergeLogTags(this.bound, tags));
  }

  setLevel(level: LogLevel): void {
    this.core.pino.level = PINO_LEVEL[level];
  }

  get level(): LogLevel {
    return fromPinoLevel(this.core.pino.levelVal);
  }

  async flush(): Promise<void> {
    await this.core.sink?.flush();
  }

  async close(): Promise<void> {
    await this.core.sink?.close();
  }

  private event(fields: LogFields | undefined): EventObject {
    return fields === undefined ? { tags: this.bound } : { tags: this.bound, fields };
  }
}

/**
 * Creates the product logger (§16.2, L1-L7) on pino: each record is rendered with
 * {@link formatLogLine}, its message passed through {@link redactSecrets}, and its tags taken from
 * the host name, the component, the ambient {@link withLogContext} scope (pino `mixin`) and the
 * child bindings, later ones winning. Lines at or above the level go to the rotating app log;
 * those also at or above `stderrLevel` go to stderr. An unusable app log leaves stderr only, with
 * one WARN line there, and never throws (L6).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const clock = options.clock ?? (() => new Date());
  const stderr = options.stderr ?? process.stderr;
  const stderrLevel = options.stderrLevel ?? 'WARN';
  const stderrRank = stderrLevel === 'off' ? Number.POSITIVE_INFINITY : logLevelRank(stderrLevel);
  const base: LogTags = { host: options.hostname ?? osHostname(), component: options.component };

  const writeStderr = (line: string): void => {
    try {
      stderr.write(`${line}\n`);
    } catch {
      // A closed stderr must not take the process down (L6).
    }
  };

  const appLogPath = options.appLogPath;
  const sink =
    appLogPath === undefined
      ? undefined
      : new RotatingFileSink({
          path: appLogPath,
          maxBytes: options.maxBytes ?? CONFIG_DEFAULTS.logging.centralLogMaxMb * MIB,
          keep: options.keep ?? CONFIG_DEFAULTS.logging.centralLogKeep,
          // L6: one WARN, always on stderr since it is now the only place lines go.
          onFailure: (error) =>
            writeStderr(
              formatLogLine({
                time: clock(),
                level: 'WARN',
                tags: { host: base.host, component: 'logging' },
                msg: redactSecrets(`cannot write the app log ${appLogPath} (${describeError(error)}); logging to stderr only`),
              }),
            ),
        });

  const emit = (levelValue: number, event: EventObject, msg: string): void => {
    const level = fromPinoLevel(levelValue);
    let line: string;
    try {
      line = formatLogLine({
        time: clock(),
        level,
        tags: mergeLogTags(base, event.ctx, event.tags),
        msg: redactSecrets(`${msg}${renderFields(event.fields)}`),
      });
    } catch (error) {
      // A log call never throws into its caller (L6); a broken clock still leaves a trace.
      writeStderr(`[logging] could not format a ${level} line: ${describeError(error)}`);
      return;
    }
    sink?.write(line);
    if (logLevelRank(level) >= stderrRank) writeStderr(line);
  };

  const core: LoggerCore = {
    pino: pino(
      {
        level: PINO_LEVEL[options.level ?? CONFIG_DEFAULTS.logging.level],
        base: null,
        timestamp: false,
        mixin: () => ({ ctx: getLogContext() }),
      },
      new RecordDestination(emit),
    ),
    sink,
  };
  return new PinoBackedLogger(core, {});
}

/** Renders fields as ` key=value` pairs: plain words bare, other strings and values as JSON. */
function renderFields(fields: LogFields | undefined): string {
  if (fields === undefined) return '';
  let text = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    text += ` ${key}=${renderValue(value)}`;
  }
  return text;
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  if (value instanceof Error) return JSON.stringify(describeError(value));
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '"[unserializable]"';
  }
}

/** A logger that discards everything but keeps its level, for tests and embedders. */
export function createNullLogger(level: LogLevel = CONFIG_DEFAULTS.logging.level): Logger {
  const state = { level };
  const make = (): Logger => ({
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => make(),
    setLevel: (next: LogLevel) => {
      state.level = next;
    },
    get level() {
      return state.level;
    },
    flush: async () => undefined,
    close: async () => undefined,
  });
  return make();
}
