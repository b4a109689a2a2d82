import type { z } from 'zod';
import { ValidationError } from '@exlab/core/errors';
import { zodIssues } from '@exlab/core/schemas';

/** Validates a request body; failures are 422 `validation_failed` naming the first field, with every issue in `details.errors`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  const first = issues[0];
  throw new ValidationError(first ? `${first.path || 'body'}: ${first.message}` : 'The request body is not valid.', {
    field: first?.path || undefined,
    details: { errors: issues.map((issue) => ({ loc: issue.loc, msg: issue.message, type: issue.code })) },
  });
}
