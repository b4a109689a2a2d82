import { ValidationError } from '@exlab/core/errors';
import {
  CreateSessionRequestSchema,
  zodIssues,
  type CreateSessionRequest,
  type ProjectCreateRequestInput,
  type RunCreateRequestInput,
} from '@exlab/core/schemas';

/** A creation request as an embedding tool writes it: defaults (run kind, empty variables, ...) may be left out. */
export type CreationRequestInput = RunCreateRequestInput | ProjectCreateRequestInput;

/**
 * Checks a request against the API body schema (requirements C4) and applies its defaults, so
 * an embedding tool gets the same refusals as an HTTP client: `validation_failed` naming the
 * first field, with every issue in `details.errors`; unknown fields are refused.
 */
export function parseCreationRequest(request: CreationRequestInput): CreateSessionRequest {
  const result = CreateSessionRequestSchema.safeParse(request);
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  const first = issues[0];
  throw new ValidationError(first ? `${first.path || 'request'}: ${first.message}` : 'The creation request is not valid.', {
    field: first?.path || undefined,
    details: { errors: issues.map((issue) => ({ loc: issue.loc, msg: issue.message, type: issue.code })) },
  });
}
