/**
 * Logging (§16, §11.5; lifecycle.md L1-L8): the fixed line format, secret redaction, the ambient
 * tag context, the rotating central app log, the equipment-scoped `wizard.<host>.log`, and the
 * pino-backed logger every component uses.
 */
export { normalizeLogLevel, logLevelRank, type LogLevelInput } from './log-level.js';
export { LOG_TAG_KEYS, mergeLogTags, type LogTagKey, type LogTags } from './log-tags.js';
export { formatLogLine, type LogLineInput } from './line-format.js';
export { truncateLogLine } from './line-truncate.js';
export { redactSecrets } from './redact.js';
export { withLogContext, getLogContext } from './log-context.js';
export { RotatingFileSink, type RotatingFileSinkOptions } from './rotating-file.js';
export { createLogger, createNullLogger, type Logger, type LoggerOptions, type LogFields } from './logger.js';
export {
  appendEquipmentLog,
  equipmentLogPath,
  type EquipmentLogEntry,
  type EquipmentLogOptions,
  type EquipmentLogResult,
} from './equipment-log.js';
