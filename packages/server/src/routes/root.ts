import type { FastifyInstance } from 'fastify';
import { APP_DISPLAY_NAME, TOKEN_COOKIE_NAME } from '@exlab/core/constants';
import { presentedToken, tokensEqual } from '../security.js';
import type { ServerContext } from '../server-context.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * `GET /`: the window's entry. `/?token=<token>` swaps the launch token for an HttpOnly
 * SameSite=Strict cookie and redirects to `/`; `/` with the cookie serves the app page.
 */
export function registerRootRoutes(app: FastifyInstance, context: ServerContext): void {
  // A repeated `?token=` arrives as an array: it is a wrong token (401), not a server error.
  app.get<{ Querystring: { token?: string | string[] } }>('/', async (request, reply) => {
    const launchToken = request.query.token;
    if (launchToken !== undefined) {
      if (typeof launchToken !== 'string' || !tokensEqual(context.token, launchToken))
        return reply.code(401).type('text/html').send(page('The link has expired. Open the window again with <code>exlab open</code>.'));
      reply.header('set-cookie', `${TOKEN_COOKIE_NAME}=${encodeURIComponent(context.token)}; HttpOnly; SameSite=Strict; Path=/`);
      return reply.redirect('/', 302);
    }
    const presented = presentedToken(request);
    if (presented === undefined || !tokensEqual(context.token, presented)) {
      return reply
        .code(401)
        .type('text/html')
        .send(page('Open the window with <code>exlab open</code>, or use the link printed by <code>exlab start</code>.'));
    }
    const setup = context.getSetupStatus();
    return reply
      .type('text/html')
      .send(
        page(
          `Server is running. Setup state: <strong>${escapeHtml(setup.state)}</strong>. The full window UI ships with <code>@exlab/window</code>.`,
        ),
      );
  });
}

function page(body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${APP_DISPLAY_NAME}</title></head><body><h1>${APP_DISPLAY_NAME}</h1><p>${body}</p></body></html>`;
}
