import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { EQUIPMENT_LOG_PREFIX, EQUIPMENT_LOG_SUFFIX, FILE_NAMES, LIMITS, type LogLevel } from '../constants/index.js';
import { describeError } from '../errors/index.js';
import { formatLogLine } from './line-format.js';
import { truncateLogLine } from './line-truncate.js';
import { getLogContext } from './log-context.js';
import { type LogLevelInput, normalizeLogLevel } from './log-level.js';
import { mergeLogTags, type LogTags } from './log-tags.js';
import { type Logger } from './logger.js';
import { redactSecrets } from './redact.js';

// A host name is a file name component here; keep it from naming another folder.
const UNSAFE_FILE_NAME_CHARACTERS = /[<>:"/\\|?*\s]/g;

/**
 * Path of this machine's scoped log under a directory (§11.5, core.md G1):
 * `<dir>/.exlab-wizard/wizard.<hostname>.log`. Used for equipment folders, and the same way for project and run folders.
 */
export function equipmentLogPath(equipmentDirectory: string, hostname: string = osHostname()): string {
  const host = hostname.replace(UNSAFE_FILE_NAME_CHARACTERS, '_');
  return join(equipmentDirectory, FILE_NAMES.cacheDir, `${EQUIPMENT_LOG_PREFIX}${host}${EQUIPMENT_LOG_SUFFIX}`);
}

/** One event for {@link appendEquipmentLog}. */
export interface EquipmentLogEntry {
  /** Event level. */
  level: LogLevelInput;
  /** Tags over the ambient log context; `host` defaults to the host name. */
  tags?: Readonly<LogTags> | undefined;
  /** Message text; secrets are redacted. */
  msg: string;
  /** Event time (default now). */
  time?: Date | undefined;
}

/** Options of {@link appendEquipmentLog}. */
export interface EquipmentLogOptions {
  /** Host name of the file name and the default `[host:]` tag (default `os.hostname()`). */
  hostname?: string | undefined;
  /** Where a failed write is reported as a WARN line. */
  logger?: Logger | undefined;
}

/** Outcome of {@link appendEquipmentLog}: a failed write is reported, never thrown. */
export type EquipmentLogResult =
  | { ok: true; path: string }
  | {
      ok: false;
      path: string;
      /** What went wrong, for a WARN line or a UI notice. */
      message: string;
      /** The underlying error, when there is one. */
      cause?: unknown;
    };

/**
 * Appends one line to `<dir>/.exlab-wizard/wizard.<hostname>.log` (§11.5, §16.2.4, core.md G1):
 * the line is formatted, redacted, cut to 1024 bytes and written with O_APPEND in a single write, so
 * concurrent appenders never tear each other's lines; an ERROR line is fsynced (L3). A failure is
 * returned (and logged as a WARN when a logger is given), because a failed log write is only a warning.
 */
export async function appendEquipmentLog(
  equipmentDirectory: string,
  entry: EquipmentLogEntry,
  options: EquipmentLogOptions = {},
): Promise<EquipmentLogResult> {
  const hostname = options.hostname ?? osHostname();
  const path = equipmentLogPath(equipmentDirectory, hostname);
  const fail = (message: string, cause?: unknown): EquipmentLogResult => {
    options.logger?.warn(`cannot append to the equipment log ${path}: ${message}`);
    return { ok: false, path, message, cause };
  };
  let handle: FileHandle | undefined;
  try {
    const level: LogLevel = normalizeLogLevel(entry.level);
    const line = truncateLogLine(
      formatLogLine({
        time: entry.time ?? new Date(),
        level,
        tags: mergeLogTags({ host: hostname }, getLogContext(), entry.tags),
        msg: redactSecrets(entry.msg),
      }),
      LIMITS.logLineMaxBytes,
    );
    const data = Buffer.from(`${line}\n`, 'utf8');
    await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a');
    // One write() of the whole line: with O_APPEND the kernel places it atomically at the end.
    const { bytesWritten } = await handle.write(data, 0, data.length);
    if (bytesWritten !== data.length) return fail(`only ${bytesWritten} of ${data.length} bytes were written`);
    if (level === 'ERROR') await handle.sync();
    return { ok: true, path };
  } catch (error) {
    return fail(describeError(error), error);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
