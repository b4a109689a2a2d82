/** The structured tags of a log line, in the order they are written (§16.4, L1). */
export const LOG_TAG_KEYS = ['host', 'equip', 'proj', 'kind', 'run', 'component', 'plugin', 'worker', 'trace'] as const;

/** One structured tag name. */
export type LogTagKey = (typeof LOG_TAG_KEYS)[number];

/** Structured tags of a log event; an unset (or empty) tag is left out of the line. */
export interface LogTags {
  /** Hostname of the workstation. */
  host?: string | undefined;
  /** Equipment id, e.g. `CONFOCAL_01`. */
  equip?: string | undefined;
  /** LIMS project short id, e.g. `PROJ-0042`. */
  proj?: string | undefined;
  /** Run kind: `experimental` or `test`. */
  kind?: string | undefined;
  /** Run folder name, e.g. `Run_2026-04-17T14-32`. */
  run?: string | undefined;
  /** Emitting component: `tray`, `window`, `config`, `nas_sync`, ... */
  component?: string | undefined;
  /** Plugin name, for events re-emitted on behalf of a plugin worker. */
  plugin?: string | undefined;
  /** Plugin worker process id. */
  worker?: string | number | undefined;
  /** Trace id of the HTTP request that caused the event. */
  trace?: string | undefined;
}

/** Merges tag sets left to right; a later set wins, but an undefined or empty value never erases an earlier one. */
export function mergeLogTags(...layers: readonly (Readonly<LogTags> | undefined)[]): LogTags {
  const merged: Record<string, string | number> = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of LOG_TAG_KEYS) {
      const value = layer[key];
      if (value !== undefined && value !== '') merged[key] = value;
    }
  }
  return merged as LogTags;
}
