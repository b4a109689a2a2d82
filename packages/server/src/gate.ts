import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError, SetupIncompleteError } from '@exlab/core/errors';
import type { ServerContext } from './server-context.js';

/** One gated route: method and Fastify route pattern (requirements C3). */
interface GateRule {
  method: string;
  url: string;
  /** Also refused once a quit started (503 `shutting_down`). */
  refuseWhenClosing?: boolean;
}

/**
 * The routes the setup gate covers (§4.9.2, requirements C3). Resume and cancel are deliberately
 * absent: gating them could strand a suspended session (docs/decisions.md "API").
 */
export const GATED_ROUTES: readonly GateRule[] = [
  { method: 'POST', url: `${API_PREFIX}/sessions`, refuseWhenClosing: true },
  { method: 'GET', url: `${API_PREFIX}/operations` },
  { method: 'GET', url: `${API_PREFIX}/problems` },
  { method: 'POST', url: `${API_PREFIX}/problems/refresh` },
  { method: 'POST', url: `${API_PREFIX}/problems/*` },
  { method: 'GET', url: `${API_PREFIX}/tree` },
  { method: 'GET', url: `${API_PREFIX}/folder/*` },
  { method: 'GET', url: `${API_PREFIX}/run/*` },
];

/** The rules by route pattern, then method: looked up on every request without building a key. */
const BY_ROUTE = new Map<string, Map<string, GateRule>>();
for (const rule of GATED_ROUTES) {
  const byMethod = BY_ROUTE.get(rule.url) ?? new Map<string, GateRule>();
  byMethod.set(rule.method, rule);
  BY_ROUTE.set(rule.url, byMethod);
}

/**
 * The setup gate as an onRequest step: it runs after the token check and before Fastify parses
 * and validates the body (§4.9.2). LIMS unreachable does not gate (§4.9.4).
 */
export function checkSetupGate(method: string, route: string | undefined, context: ServerContext): void {
  if (route === undefined) return;
  const rule = BY_ROUTE.get(route)?.get(method);
  if (rule === undefined) return;
  if (rule.refuseWhenClosing === true && context.isShuttingDown())
    throw new ExLabError('shutting_down', 'ExLab-Wizard is shutting down and takes no new sessions.');
  const setup = context.getSetupStatus();
  if (setup.state !== 'ready' && setup.state !== 'incomplete_lims_unreachable') {
    throw new SetupIncompleteError(setup.state, setup.missing, setup.next_action);
  }
}
