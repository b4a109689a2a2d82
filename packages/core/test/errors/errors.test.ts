import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeError,
  ERROR_CODES,
  ExLabError,
  FieldTooLongError,
  isErrorCode,
  KeyringUnavailableError,
  SchemaMajorMismatchError,
  SetupIncompleteError,
  TemplateCoreFieldRedeclaredError,
  TemplateLoadError,
  toErrorEnvelope,
  ValidationError,
  type ErrorCode,
} from '@exlab/core/errors';

const TRACE = 'trace-0123';

describe('the error catalogue', () => {
  it('gives every code an HTTP status and a one-line summary', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(Number.isInteger(spec.status), code).toBe(true);
      expect(spec.status, code).toBeGreaterThanOrEqual(200);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.summary.trim().length, code).toBeGreaterThan(0);
    }
  });

  it('pins the status of the codes clients branch on', () => {
    const statuses: Partial<Record<ErrorCode, number>> = {
      setup_incomplete: 503,
      validation_failed: 422,
      template_load_error: 422,
      template_core_field_redeclared: 422,
      schema_major_mismatch: 422,
      field_too_long: 422,
      unsafe_project_name: 422,
      destination_exists: 409,
      cache_file_invalid: 422,
      cache_file_exists: 409,
      lock_timeout: 503,
      permission_denied: 403,
      session_not_found: 404,
      unauthorized: 401,
      payload_too_large: 413,
      unsupported_media_type: 415,
      method_not_allowed: 405,
      internal_error: 500,
    };
    for (const [code, status] of Object.entries(statuses)) expect(ERROR_CODES[code as ErrorCode].status, code).toBe(status);
  });

  it('knows catalogue codes and refuses anything else, including inherited object keys', () => {
    expect(isErrorCode('validation_failed')).toBe(true);
    expect(isErrorCode('internal_error')).toBe(true);
    expect(isErrorCode('no_such_code')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('__proto__')).toBe(false);
  });
});

describe('ExLabError', () => {
  it('carries its code, the status of that code, field, details and cause', () => {
    const cause = new Error('disk');
    const error = new ExLabError('destination_exists', 'the run folder exists', { field: 'run_date', details: { path: '/x' }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExLabError');
    expect(error.code).toBe('destination_exists');
    expect(error.status).toBe(409);
    expect(error.message).toBe('the run folder exists');
    expect(error.field).toBe('run_date');
    expect(error.details).toEqual({ path: '/x' });
    expect(error.cause).toBe(cause);
  });

  it('has no cause property when none is given', () => {
    const error = new ExLabError('internal_error', 'x');
    expect(Object.hasOwn(error, 'cause')).toBe(false);
    expect(error.field).toBeUndefined();
    expect(error.details).toBeUndefined();
  });

  it('names each subclass after itself', () => {
    expect(new ValidationError('x').name).toBe('ValidationError');
    expect(new TemplateCoreFieldRedeclaredError('t', '1.0', 'label').name).toBe('TemplateCoreFieldRedeclaredError');
    expect(new KeyringUnavailableError('x').name).toBe('KeyringUnavailableError');
  });
});

describe('catalogue subclasses', () => {
  it('makes ValidationError validation_failed unless another code is given', () => {
    expect(new ValidationError('label is empty', { field: 'label' })).toMatchObject({
      code: 'validation_failed',
      status: 422,
      field: 'label',
    });
    expect(new ValidationError('unsafe', { code: 'unsafe_project_name', field: 'project_name' })).toMatchObject({
      code: 'unsafe_project_name',
      field: 'project_name',
    });
  });

  it('puts the limit of a too-long field in details.max_length', () => {
    const error = new FieldTooLongError('label', 100, 101);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error.code).toBe('field_too_long');
    expect(error.status).toBe(422);
    expect(error.field).toBe('label');
    expect(error.details).toEqual({ max_length: 100, length: 101 });
    expect(error.message).toBe('label is 101 characters long; at most 100 are allowed.');
  });

  it('reports a schema major mismatch with expected_major, found and the file', () => {
    const error = new SchemaMajorMismatchError('/r/.exlab-wizard/creation.json', 1, '2.0');
    expect(error.code).toBe('schema_major_mismatch');
    expect(error.status).toBe(422);
    expect(error.field).toBe('schema_version');
    expect(error.details).toEqual({ expected_major: 1, found: '2.0', file: '/r/.exlab-wizard/creation.json' });
    expect(error.message).toContain('"2.0"');
  });

  it('reports a missing schema version as found null', () => {
    const error = new SchemaMajorMismatchError('c.json', 1, null);
    expect(error.details).toEqual({ expected_major: 1, found: null, file: 'c.json' });
    expect(error.message).toContain('(missing)');
  });

  it('makes a redeclared core field a TemplateLoadError with its own code, naming template and version', () => {
    const error = new TemplateCoreFieldRedeclaredError('imaging', '1.2', 'operator');
    expect(error).toBeInstanceOf(TemplateLoadError);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error.code).toBe('template_core_field_redeclared');
    expect(error.status).toBe(422);
    expect(error.field).toBe('operator');
    expect(error.details).toEqual({ template: 'imaging', version: '1.2' });
  });

  it('records an unknown template version as null', () => {
    expect(new TemplateCoreFieldRedeclaredError('imaging', undefined, 'label').details).toEqual({ template: 'imaging', version: null });
  });

  it('makes TemplateLoadError template_load_error by default', () => {
    const error = new TemplateLoadError('no copier.yml', { field: 'copier.yml' });
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('copier.yml');
  });

  it('makes ConfigError config_invalid, naming the first issue as the field and listing every issue', () => {
    const issues = [
      { path: 'paths.local_root', message: 'required', line: 3, file: 'config.yaml' },
      { path: 'equipment[0].id', message: 'bad id' },
    ];
    const error = new ConfigError('config.yaml is invalid', issues);
    expect(error.code).toBe('config_invalid');
    expect(error.field).toBe('paths.local_root');
    expect(error.details).toEqual({ issues });
    expect(error.details?.issues).not.toBe(issues);
    expect(new ConfigError('missing', [], { code: 'config_not_found' }).status).toBe(404);
  });

  it('makes KeyringUnavailableError a 503', () => {
    expect(new KeyringUnavailableError('no keyring')).toMatchObject({ code: 'keyring_unavailable', status: 503 });
  });
});

describe('toErrorEnvelope', () => {
  it('builds the envelope from an ExLabError with field, details and trace id', () => {
    const { status, body } = toErrorEnvelope(new FieldTooLongError('objective', 2000, 2001), TRACE);
    expect(status).toBe(422);
    expect(body).toEqual({
      error: {
        code: 'field_too_long',
        message: 'objective is 2001 characters long; at most 2000 are allowed.',
        field: 'objective',
        details: { max_length: 2000, length: 2001 },
        trace_id: TRACE,
      },
    });
  });

  it('leaves out field and details when the error has none', () => {
    const { body } = toErrorEnvelope(new ExLabError('session_not_found', 'no session s1'), TRACE);
    expect(body).toEqual({ error: { code: 'session_not_found', message: 'no session s1', trace_id: TRACE } });
    expect(Object.keys(body.error)).not.toContain('field');
    expect(Object.keys(body.error)).not.toContain('details');
  });

  it('puts state, missing and next_action of setup_incomplete at the top level of the error', () => {
    const missing = [{ field: 'paths.local_root', reason: 'not set' }];
    const { status, body } = toErrorEnvelope(new SetupIncompleteError('incomplete_missing_paths', missing, 'set_paths'), TRACE);
    expect(status).toBe(503);
    expect(body.error).toEqual({
      code: 'setup_incomplete',
      message: 'Setup is not complete (incomplete_missing_paths); finish it in Settings first.',
      state: 'incomplete_missing_paths',
      missing,
      next_action: 'set_paths',
      trace_id: TRACE,
    });
  });

  it('never lets extra keys overwrite code, message or trace id', () => {
    const error = new ExLabError('validation_failed', 'real message', { extra: { code: 'fake', message: 'fake', trace_id: 'fake' } });
    const { body } = toErrorEnvelope(error, TRACE);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toBe('real message');
    expect(body.error.trace_id).toBe(TRACE);
  });

  it('turns an unknown error into a 500 internal_error without leaking its message', () => {
    const { status, body } = toErrorEnvelope(new Error('password=hunter2 at /secret/path'), TRACE);
    expect(status).toBe(500);
    expect(body).toEqual({
      error: { code: 'internal_error', message: 'internal server error', details: { trace_id: TRACE }, trace_id: TRACE },
    });
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('treats thrown non-errors as internal_error too', () => {
    for (const thrown of ['boom', 42, null, undefined, { code: 'validation_failed', message: 'spoof' }]) {
      const { status, body } = toErrorEnvelope(thrown, TRACE);
      expect(status).toBe(500);
      expect(body.error.code).toBe('internal_error');
      expect(body.error.message).toBe('internal server error');
    }
  });
});

describe('describeError', () => {
  it('prefixes catalogue errors with their code and passes other messages through', () => {
    expect(describeError(new ValidationError('label is empty'))).toBe('validation_failed: label is empty');
    expect(describeError(new TypeError('bad type'))).toBe('bad type');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(7)).toBe('7');
  });
});
