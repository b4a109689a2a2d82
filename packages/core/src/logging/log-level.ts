import { LOG_LEVELS, type LogLevel } from '../constants/index.js';
import { ValidationError } from '../errors/index.js';

/** Level names accepted on input besides {@link LOG_LEVELS}: Python's spellings (§16.5, L1). */
const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  WARNING: 'WARN',
  CRITICAL: 'ERROR',
};

/** A level as written by a caller: a {@link LogLevel} or one of its Python aliases. */
export type LogLevelInput = LogLevel | 'WARNING' | 'CRITICAL';

/**
 * Maps a level name, in any case, to a {@link LogLevel}: `WARNING` becomes `WARN`, `CRITICAL`
 * becomes `ERROR` (L1). Throws {@link ValidationError} for any other name.
 */
export function normalizeLogLevel(value: string): LogLevel {
  const upper = value.trim().toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevel;
  const alias = LEVEL_ALIASES[upper];
  if (alias !== undefined) return alias;
  throw new ValidationError(
    `Log level "${value}" is not known; use one of ${LOG_LEVELS.join(', ')} (WARNING and CRITICAL are read as WARN and ERROR).`,
    {
      field: 'logging.level',
      details: { allowed: [...LOG_LEVELS], value },
    },
  );
}

/** Position of `level` in {@link LOG_LEVELS}: DEBUG 0 up to ERROR 3. */
export function logLevelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}
