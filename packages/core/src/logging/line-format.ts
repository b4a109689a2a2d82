import { formatUtcTimestamp } from '../schemas/timestamp.js';
import { normalizeLogLevel, type LogLevelInput } from './log-level.js';
import { type LogTags } from './log-tags.js';

/** One event to render as a log line. */
export interface LogLineInput {
  /** When the event happened; written in UTC to the second. */
  time: Date;
  /** Event level; `WARNING` and `CRITICAL` are normalised. */
  level: LogLevelInput;
  /** Structured tags; unset ones are omitted. */
  tags?: Readonly<LogTags> | undefined;
  /** The message text. */
  msg: string;
}

// One event = one line: a CR or LF inside a message or tag would start a fake event.
function escapeLineBreaks(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function tag(name: string, value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return `[${name}:${escapeLineBreaks(String(value))}]`;
}

/**
 * Renders one event in the fixed line format of §11.5 / §16.4 (L1), without a trailing newline:
 * `<ts> [LEVEL] [host:] [equip:] [proj:] [kind:] [run:] [component:] [plugin:][worker:] [trace:] msg`.
 */
export function formatLogLine(input: LogLineInput): string {
  const tags = input.tags ?? {};
  // §16.4 writes plugin and worker as one unit: `[plugin:<name>][worker:<pid>]`.
  const pluginWorker = [tag('plugin', tags.plugin), tag('worker', tags.worker)].filter((t) => t !== undefined).join('');
  const parts = [
    formatUtcTimestamp(input.time),
    `[${normalizeLogLevel(input.level).padEnd(5)}]`,
    tag('host', tags.host),
    tag('equip', tags.equip),
    tag('proj', tags.proj),
    tag('kind', tags.kind),
    tag('run', tags.run),
    tag('component', tags.component),
    pluginWorker === '' ? undefined : pluginWorker,
    tag('trace', tags.trace),
    escapeLineBreaks(input.msg),
  ];
  return parts.filter((part) => part !== undefined).join(' ');
}
