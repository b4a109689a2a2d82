import { access } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import { equipmentDir } from '@exlab/core/paths';
import {
  AutostartRequestSchema,
  AutostartResponseSchema,
  ErrorEnvelopeSchema,
  ProbeResultSchema,
  SetupStatusSchema,
  TestEquipmentRequestSchema,
  TestLimsRequestSchema,
  validateEquipmentConfig,
  type ProbeResult,
  type SetupStatus,
} from '@exlab/core/schemas';
import { parseBody } from '../body.js';
import type { LimsStatus } from '../lims-status.js';
import type { ServerContext } from '../server-context.js';

const LIMS_PROBE_TIMEOUT_MS = 5_000;

/** Default LIMS probe: an HTTP GET of the endpoint; any answer counts as reachable. The password is never logged. */
async function probeLims(endpoint: string): Promise<ProbeResult> {
  if (!/^https?:\/\//i.test(endpoint)) return { ok: false, reason: 'no LIMS endpoint configured' };
  const started = performance.now();
  try {
    await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(LIMS_PROBE_TIMEOUT_MS), redirect: 'manual' });
    return { ok: true, latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, reason: `unreachable: ${error instanceof Error ? error.message : 'no answer'}` };
  }
}

/** The setup routes (§4.9.3, requirements C8): status, the LIMS and equipment probes, and autostart when the host gives a port. */
export function registerSetupRoutes(app: FastifyInstance, context: ServerContext, lims: LimsStatus): void {
  app.get(
    `${API_PREFIX}/setup/status`,
    { schema: { summary: 'Setup state and what is missing (always available)', response: { 200: SetupStatusSchema } } },
    async (): Promise<SetupStatus> => context.getSetupStatus(),
  );

  app.post(
    `${API_PREFIX}/setup/test-lims`,
    {
      schema: {
        summary: 'Probe the LIMS (always 200)',
        body: TestLimsRequestSchema,
        response: { 200: ProbeResultSchema, 422: ErrorEnvelopeSchema },
      },
    },
    async (request): Promise<ProbeResult> => {
      const body = parseBody(TestLimsRequestSchema, request.body);
      const endpoint = body.lims?.endpoint ?? context.getConfig()?.lims.endpoint ?? '';
      const email = body.lims?.email ?? context.getConfig()?.lims.email;
      const result = context.testLims ? await context.testLims({ endpoint, email, password: body.password }) : await probeLims(endpoint);
      lims.record(result);
      return result;
    },
  );

  app.post(
    `${API_PREFIX}/setup/test-equipment`,
    {
      schema: {
        summary: 'Check an equipment entry and its local folder (always 200)',
        body: TestEquipmentRequestSchema,
        response: { 200: ProbeResultSchema, 422: ErrorEnvelopeSchema },
      },
    },
    async (request): Promise<ProbeResult> => {
      const body = parseBody(TestEquipmentRequestSchema, request.body);
      const config = context.getConfig();
      if (body.equipment !== undefined) {
        const result = validateEquipmentConfig(body.equipment);
        if (!result.success) return { ok: false, reason: result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ') };
        return { ok: true };
      }
      if (body.equipment_id === undefined)
        throw new ExLabError('validation_failed', 'Send equipment_id or equipment.', { field: 'equipment_id' });
      if (config === null) return { ok: false, reason: 'no configuration loaded' };
      const dir = equipmentDir(config, body.equipment_id);
      if (dir === undefined) return { ok: false, reason: `equipment "${body.equipment_id}" is not configured` };
      const started = performance.now();
      const parent = dir.slice(0, dir.length - body.equipment_id.length);
      return access(parent).then(
        () => ({ ok: true, latency_ms: Math.round(performance.now() - started) }),
        () => ({ ok: false, reason: `the local root ${parent} is not reachable` }),
      );
    },
  );

  // The tray registers this route itself (packages/tray/src/control-routes.ts); the server owns it only when given a port.
  const autostart = context.autostart;
  if (autostart !== undefined) {
    app.post(
      `${API_PREFIX}/setup/autostart`,
      {
        schema: {
          summary: 'Register or unregister the platform autostart entry',
          body: AutostartRequestSchema,
          response: { 200: AutostartResponseSchema, 422: ErrorEnvelopeSchema },
        },
      },
      async (request) => autostart.set(parseBody(AutostartRequestSchema, request.body).enabled),
    );
  }
}
