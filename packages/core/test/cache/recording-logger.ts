// A Logger that keeps its WARN lines, so tests can see what the cache writer reported.
import { createNullLogger, type LogFields, type Logger } from '@exlab/core/logging';

/** One WARN line the logger received. */
export interface WarnLine {
  msg: string;
  fields: LogFields | undefined;
}

/** A silent logger that records every `warn` call and can wait for the next one. */
export function recordingLogger(): Logger & { warnings: WarnLine[]; nextWarning: () => Promise<WarnLine> } {
  const warnings: WarnLine[] = [];
  const waiting: ((line: WarnLine) => void)[] = [];
  const base = createNullLogger();
  return {
    ...base,
    get level() {
      return base.level;
    },
    warnings,
    warn(msg: string, fields?: LogFields) {
      const line = { msg, fields };
      warnings.push(line);
      for (const resolve of waiting.splice(0)) resolve(line);
    },
    nextWarning: () => new Promise<WarnLine>((resolve) => waiting.push(resolve)),
  };
}
