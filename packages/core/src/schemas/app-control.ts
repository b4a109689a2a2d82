import { z } from 'zod';

/** `POST /api/v1/app/quit` (lifecycle.md S3): the tray's graceful quit, started after the reply. */
export const AppQuitRequestSchema = z.strictObject({
  /** Skip the drain and tear down at once. */
  force: z.boolean().optional(),
  /** Drain window in seconds (default 30). */
  drain_seconds: z.number().min(0).max(3_600).optional(),
  /** False: force without asking when the drain times out (the CLI's `exlab stop`). Default true. */
  prompt: z.boolean().optional(),
});
/** Body of `POST /api/v1/app/quit`. */
export type AppQuitRequest = z.infer<typeof AppQuitRequestSchema>;

/** `POST /api/v1/app/quit` answer (202): the quit starts once it is sent. */
export const AppQuitResponseSchema = z.object({ quitting: z.literal(true) });
/** Answer of `POST /api/v1/app/quit`. */
export type AppQuitResponse = z.infer<typeof AppQuitResponseSchema>;

/** `POST /api/v1/app/open-window` answer: a new window process, the live one focused, or none possible. */
export const AppOpenWindowResponseSchema = z.object({
  action: z.enum(['spawned', 'focused', 'unavailable']),
  /** Window process id, when there is one. */
  pid: z.number().int().nullable(),
  /** Why no window could be opened. */
  reason: z.string().optional(),
});
/** Answer of `POST /api/v1/app/open-window`. */
export type AppOpenWindowResponse = z.infer<typeof AppOpenWindowResponseSchema>;

/** `GET /api/v1/app/state`: what the tray process is doing. */
export const AppStateSchema = z.object({
  /** tray, window-only, smoke or headless. */
  mode: z.string(),
  /** The tray status label (I2). */
  status_label: z.string(),
  /** True once a quit has started. */
  quitting: z.boolean(),
  /** The window process, when one is alive. */
  window: z.object({ alive: z.boolean(), pid: z.number().int().nullable(), spawned: z.number().int() }),
  /** Why there is no tray icon, when there is none. */
  icon_unavailable_reason: z.string().nullable(),
});
/** Answer of `GET /api/v1/app/state`. */
export type AppState = z.infer<typeof AppStateSchema>;

/** `POST /api/v1/setup/autostart` (lifecycle.md A1). */
export const AutostartRequestSchema = z.strictObject({ enabled: z.boolean() });
/** Body of `POST /api/v1/setup/autostart`. */
export type AutostartRequest = z.infer<typeof AutostartRequestSchema>;

/** Answer of `POST /api/v1/setup/autostart`: always 200; `registered` says what the OS now has. */
export const AutostartResponseSchema = z.object({ enabled: z.boolean(), registered: z.boolean(), error: z.string().optional() });
/** Answer of `POST /api/v1/setup/autostart`. */
export type AutostartResponse = z.infer<typeof AutostartResponseSchema>;
