import { z } from 'zod';
import { TRAY_MODES } from '../constants/index.js';
import { UtcTimestampSchema } from './time.js';

const PidSchema = z.number().int().positive();

/**
 * `<state_dir>/server.json`, the tray's discovery file (lifecycle.md P3; §4.2). `port`, `pid`,
 * `started_at` and `token` are required; the rest are our additions and optional on read so a
 * file from an older or newer tray still parses. Unknown keys are kept.
 */
export const ServerInfoSchema = z.looseObject({
  /** Schema version of this file (`SCHEMA_VERSIONS.server_json`). */
  schema_version: z.string().optional(),
  /** Loopback port the tray's HTTP server listens on. */
  port: z.number().int().min(1).max(65535),
  /** Process id of the tray. */
  pid: PidSchema,
  /** When the tray started, UTC `YYYY-MM-DDTHH:MM:SSZ`. */
  started_at: UtcTimestampSchema,
  /** The per-launch API token. */
  token: z.string().min(1),
  /** Start token of the tray process (P4); null where it could not be read. */
  pid_start: z.string().nullable().optional(),
  /** Random id of this tray launch; tells two launches with the same pid apart. */
  instance_id: z.string().min(1).optional(),
  /** Product version of the tray. */
  version: z.string().optional(),
  /** How the tray runs. */
  mode: z.enum(TRAY_MODES).optional(),
  /** Base URL of the UI, `http://127.0.0.1:<port>/`. */
  url: z.string().optional(),
  /** State directory the tray uses. */
  state_dir: z.string().optional(),
  /** config.yaml the tray loaded, or null when it runs without one. */
  config_path: z.string().nullable().optional(),
});
/** The content of server.json. */
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

/** `<state_dir>/tray.lock`, the single-instance lock (lifecycle.md T2). Unknown keys are kept. */
export const LockInfoSchema = z.looseObject({
  /** Process id of the holder. */
  pid: PidSchema,
  /** Start token of the holder (P4); null where it could not be read. */
  pid_start: z.string().nullable(),
  /** When the holder took the lock, UTC `YYYY-MM-DDTHH:MM:SSZ`. */
  started_at: UtcTimestampSchema,
  /** Random id of the holder's launch. */
  instance_id: z.string().min(1),
});
/** The content of tray.lock. */
export type LockInfo = z.infer<typeof LockInfoSchema>;
