import type { PluginLogLevel, PluginLogger } from './types.js';

/** Where log frames go: one complete line per call. */
export type LogLineSink = (line: string) => void;

/**
 * A {@link PluginLogger} that writes each call as one JSON log frame `{level, message, context}`
 * (A7; §16.8 places them on stdout, we use stderr so stdout carries only the result frame).
 */
export function createPluginLogger(sink: LogLineSink): PluginLogger {
  const emit = (level: PluginLogLevel) => (message: string, context?: Record<string, unknown>) => {
    const frame: { level: PluginLogLevel; message: string; context?: Record<string, unknown> } = { level, message: String(message) };
    if (context !== undefined) frame.context = context;
    let line: string;
    try {
      line = JSON.stringify(frame);
    } catch {
      line = JSON.stringify({ level, message: String(message), context: { unserializable_context: true } });
    }
    sink(`${line}\n`);
  };
  return Object.freeze({ debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') });
}

/** The logger a plugin gets in its worker: frames go to the worker's stderr. */
export function createStderrLogger(): PluginLogger {
  const write = process.stderr.write.bind(process.stderr);
  return createPluginLogger((line) => {
    write(line);
  });
}
