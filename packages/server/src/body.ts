import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { ValidationError } from '@exlab/core/errors';
import { zodIssues } from '@exlab/core/schemas';

/** The 422 `validation_failed` for a zod failure: `field` is the first dotted path, every issue in `details.errors` (requirements C2). */
export function validationErrorOf(error: z.ZodError, part = 'body'): ValidationError {
  const issues = zodIssues(error);
  const first = issues[0];
  return new ValidationError(first ? `${first.path || part}: ${first.message}` : `The request ${part} is not valid.`, {
    field: first?.path || undefined,
    details: { errors: issues.map((issue) => ({ loc: issue.loc, msg: issue.message, type: issue.code })) },
  });
}

/** Validates a request body; failures are 422 `validation_failed` naming the first field, with every issue in `details.errors`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw validationErrorOf(result.error);
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

/**
 * Fastify validator over the routes' zod schemas (the single source, requirements C1): an absent
 * body counts as `{}` so defaults apply; failures are the catalogue's 422, never Fastify's 400.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const result = schema.safeParse(httpPart === 'body' ? (data ?? {}) : data);
    if (result.success) return { value: result.data };
    return { error: validationErrorOf(result.error, PART_NAMES[httpPart ?? 'body'] ?? 'body') };
  };
};

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Fastify's `schemaController.compilersFactory` for every app of the server: the routes' zod
 * schemas validate and serialize (requirements C1). Given as the factories, Fastify never builds
 * its default ajv and fast-json-stringify compilers (the programs do not even bundle them). Fastify
 * types the factories with those compilers' types; it calls them with a route schema and uses what
 * they return, as with `setValidatorCompiler`.
 */
export const ZOD_COMPILERS = {
  buildValidator: () => zodValidatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as CompilersFactory;
