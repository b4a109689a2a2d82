import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_PREFIX, CONTROL_HEADER } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  AppOpenWindowResponseSchema,
  AppQuitRequestSchema,
  AppQuitResponseSchema,
  AppStateSchema,
  AutostartRequestSchema,
  AutostartResponseSchema,
  ErrorEnvelopeSchema,
  type AppOpenWindowResponse,
  type AppQuitResponse,
  type AppQuitRequest,
  type AppState,
  type AutostartResponse,
} from '@exlab/core/schemas';
import { allowedOrigins, parseBody, tokensEqual } from '@exlab/server';

/** What the control routes drive; the tray implements it. */
export interface TrayControl {
  /** Open: spawn the window or focus the live one. */
  openWindow(): Promise<AppOpenWindowResponse>;
  /** Starts the graceful quit; called after the reply has gone out. */
  quit(request: AppQuitRequest): void;
  /** What the tray is doing. */
  state(): AppState;
  /** Turns autostart on or off (A1). */
  setAutostart(enabled: boolean): Promise<AutostartResponse>;
}

/**
 * Refuses a control request (S3) unless it carries `X-ExLab-Control: <token>` or comes from the
 * UI's own origin: the bearer token alone may sit in a cookie a foreign page could ride on.
 */
function checkControl(request: FastifyRequest, token: string): void {
  const header = request.headers[CONTROL_HEADER];
  if (typeof header === 'string' && tokensEqual(token, header)) return;
  const origin = request.headers.origin;
  const port = request.socket.localPort ?? 0;
  if (typeof origin === 'string' && allowedOrigins(port).includes(origin.toLowerCase())) return;
  throw new ExLabError('forbidden_origin', `Tray control needs the "${CONTROL_HEADER}" header with the token, or the UI's own origin.`, {
    field: CONTROL_HEADER,
  });
}

/**
 * The tray's control routes (lifecycle.md S3, A1): `POST /api/v1/app/open-window`,
 * `POST /api/v1/app/quit {force?, drain_seconds?, prompt?}` (202; the quit starts once the answer
 * is sent), `GET /api/v1/app/state`, and `POST /api/v1/setup/autostart {enabled}`.
 */
export function registerControlRoutes(app: FastifyInstance, control: TrayControl, token: string): void {
  const guard = async (request: FastifyRequest): Promise<void> => checkControl(request, token);

  // 401 and 503 come from the server's own checks before these routes run.
  const refusals = { 401: ErrorEnvelopeSchema, 403: ErrorEnvelopeSchema };

  app.post(
    `${API_PREFIX}/app/open-window`,
    {
      onRequest: guard,
      schema: {
        summary: 'Open the UI window, or focus the live one (tray control)',
        response: { 200: AppOpenWindowResponseSchema, ...refusals },
      },
    },
    async (): Promise<AppOpenWindowResponse> => control.openWindow(),
  );

  app.post(
    `${API_PREFIX}/app/quit`,
    {
      onRequest: guard,
      schema: {
        summary: 'Quit the tray gracefully: drain, then stop (tray control)',
        body: AppQuitRequestSchema,
        response: { 202: AppQuitResponseSchema, ...refusals, 422: ErrorEnvelopeSchema },
      },
    },
    async (request, reply) => {
      const body = parseBody(AppQuitRequestSchema, request.body);
      reply.raw.once('finish', () => setImmediate(() => control.quit(body)));
      const answer: AppQuitResponse = { quitting: true };
      return reply.code(202).send(answer);
    },
  );

  app.get(
    `${API_PREFIX}/app/state`,
    { schema: { summary: 'What the tray process is doing', response: { 200: AppStateSchema, 401: ErrorEnvelopeSchema } } },
    async (): Promise<AppState> => control.state(),
  );

  app.post(
    `${API_PREFIX}/setup/autostart`,
    {
      onRequest: guard,
      schema: {
        summary: 'Turn starting at login on or off (always 200; registered says what the OS now has)',
        body: AutostartRequestSchema,
        response: { 200: AutostartResponseSchema, ...refusals, 422: ErrorEnvelopeSchema },
      },
    },
    async (request): Promise<AutostartResponse> => {
      const body = parseBody(AutostartRequestSchema, request.body);
      return control.setAutostart(body.enabled);
    },
  );
}
