import { ExLabError, describeError, isErrorCode } from '@exlab/core/errors';
import type { SessionError } from '@exlab/core/schemas';

/** The session-handle form of a thrown value: an ExLabError keeps its code, field and details; anything else is internal_error. */
export function toSessionError(error: unknown): SessionError {
  if (error instanceof ExLabError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      ...(error.details ? { details: error.details } : {}),
    };
  }
  return { code: 'internal_error', message: describeError(error) };
}

/** The ExLabError a session error stands for, so an API can answer it with the catalogue's status. */
export function fromSessionError(error: SessionError): ExLabError {
  const code = isErrorCode(error.code) ? error.code : 'internal_error';
  return new ExLabError(code, error.message, {
    ...(error.field !== undefined ? { field: error.field } : {}),
    ...(error.details !== undefined ? { details: error.details } : {}),
  });
}
