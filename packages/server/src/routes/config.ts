import type { FastifyInstance } from 'fastify';
import { redactConfig, saveConfig } from '@exlab/core/config';
import { API_PREFIX } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  ConfigSchema,
  ErrorEnvelopeSchema,
  SetupStatusSchema,
  defaultConfig,
  validateConfig,
  validateEquipmentConfig,
  type Config,
  type SetupStatus,
} from '@exlab/core/schemas';
import { z } from 'zod';
import type { ServerContext } from '../server-context.js';

function configInvalid(issues: readonly { path: string; message: string }[], prefix = ''): ExLabError {
  const first = issues[0];
  const field = first === undefined ? undefined : [prefix, first.path].filter((part) => part !== '').join('.');
  return new ExLabError('validation_failed', first ? `${field ?? 'body'}: ${first.message}` : 'The configuration is not valid.', {
    field: field || undefined,
    details: {
      errors: issues.map((issue) => ({
        loc: [prefix, issue.path]
          .filter((part) => part !== '')
          .join('.')
          .split('.'),
        msg: issue.message,
        type: 'config',
      })),
    },
  });
}

/** The config routes (§4.6.1, requirements C9): read (redacted), replace, add equipment. Not gated. */
export function registerConfigRoutes(app: FastifyInstance, context: ServerContext): void {
  // Writes are serialised so two saves cannot interleave their read-merge-write.
  let writing: Promise<unknown> = Promise.resolve();

  const persist = async (config: Config): Promise<SetupStatus> => {
    const path = context.configPath;
    if (path === undefined)
      throw new ExLabError('validation_failed', 'This server was started without a config file path.', { field: 'config' });
    const run = writing.then(async () => {
      await saveConfig(path, config);
      context.applyConfig?.(config);
    });
    writing = run.catch(() => undefined);
    await run;
    return context.getSetupStatus();
  };

  app.get(
    `${API_PREFIX}/config`,
    {
      schema: {
        summary: 'The configuration, secrets redacted (defaults when none is loaded)',
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => redactConfig(context.getConfig() ?? defaultConfig()),
  );

  app.put(
    `${API_PREFIX}/config`,
    {
      schema: {
        summary: 'Validate and persist a new configuration (comments kept); applies live',
        body: z.record(z.string(), z.unknown()).meta({ description: 'A config.yaml document as JSON (§9)' }),
        response: { 200: SetupStatusSchema, 422: ErrorEnvelopeSchema },
      },
    },
    async (request) => {
      const result = validateConfig(request.body);
      if (!result.success) throw configInvalid(result.issues);
      return persist(result.data);
    },
  );

  app.post(
    `${API_PREFIX}/config/equipment`,
    {
      schema: {
        summary: 'Add one equipment entry',
        body: z.record(z.string(), z.unknown()).meta({ description: 'An equipment entry (§9)' }),
        response: { 201: SetupStatusSchema, 409: ErrorEnvelopeSchema, 422: ErrorEnvelopeSchema },
      },
    },
    async (request, reply) => {
      const result = validateEquipmentConfig(request.body);
      if (!result.success) throw configInvalid(result.issues);
      const current = context.getConfig() ?? defaultConfig();
      if (current.equipment.some((entry) => entry.id === result.data.id))
        throw new ExLabError('equipment_id_conflict', `Equipment "${result.data.id}" is already configured.`, { field: 'id' });
      const next = ConfigSchema.parse({ ...current, equipment: [...current.equipment, result.data] });
      return reply.code(201).send(await persist(next));
    },
  );
}
