import { describe, expect, it } from 'vitest';
import {
  FrameHeaderSchema,
  InvokeRequestSchema,
  LogFrameSchema,
  ResultFrameSchema,
  ValidationFrameSchema,
  WorkerFrameSchema,
} from '@exlab/plugin-sdk/ipc';

const request = {
  kind: 'invoke',
  protocol: 1,
  request_id: 'r-1',
  mode: 'transform',
  plugin_dir: '/plugins/hello',
  context: {
    variables: { operator: 'asmith' },
    dst_root: '/runs/Run_1',
    answers_file: '/runs/Run_1/.exlab-answers.yml',
    template_name: 't',
    template_version: '1',
    run_kind: 'experimental',
    equipment_id: 'CONFOCAL_01',
    project: 'PROJ-0042',
    dry_run: false,
  },
  files: ['/runs/Run_1/a.txt'],
  dry_run: false,
  extra_inputs: null,
};

const result = {
  kind: 'result',
  request_id: 'r-1',
  result: 'input_required',
  per_file: [{ path: '/runs/Run_1/a.txt', status: 'input_required', changes: null }],
  input_required: {
    fields: [{ id: 'color', label: 'Color', type: 'choice', required: true, options: ['red'] }],
    reason: 'why',
    file: '/runs/Run_1/a.txt',
  },
  error_message: null,
  peak_memory_mb: 41,
};

describe('IPC schemas (A7)', () => {
  it('accept the invoke request, in both modes', () => {
    expect(InvokeRequestSchema.parse(request)).toEqual(request);
    expect(InvokeRequestSchema.parse({ ...request, mode: 'validate', hold: true }).hold).toBe(true);
  });

  it('reject a request of another protocol, kind or mode', () => {
    expect(InvokeRequestSchema.safeParse({ ...request, protocol: 2 }).success).toBe(false);
    expect(InvokeRequestSchema.safeParse({ ...request, kind: 'call' }).success).toBe(false);
    expect(InvokeRequestSchema.safeParse({ ...request, mode: 'render' }).success).toBe(false);
  });

  it('accept result and validation frames and tell them apart by kind', () => {
    expect(ResultFrameSchema.parse(result)).toEqual(result);
    expect(WorkerFrameSchema.parse(result).kind).toBe('result');
    const validation = { kind: 'validation', request_id: 'r-1', errors: ['sample_id must look like S-1'] };
    expect(ValidationFrameSchema.parse(validation)).toEqual(validation);
    expect(WorkerFrameSchema.parse(validation).kind).toBe('validation');
  });

  it('reject result frames with an unknown status or a prompt without fields', () => {
    expect(ResultFrameSchema.safeParse({ ...result, result: 'timeout' }).success).toBe(false);
    expect(ResultFrameSchema.safeParse({ ...result, per_file: [{ path: 'a', status: 'mutated', changes: null }] }).success).toBe(false);
    expect(ResultFrameSchema.safeParse({ ...result, input_required: { fields: [], reason: 'x', file: null } }).success).toBe(false);
  });

  it('require kind and request_id on every stdout frame', () => {
    expect(FrameHeaderSchema.safeParse({ kind: 'progress', request_id: 'r' }).success).toBe(true);
    expect(FrameHeaderSchema.safeParse({ kind: 'result' }).success).toBe(false);
    expect(FrameHeaderSchema.safeParse({ request_id: 'r' }).success).toBe(false);
  });

  it('accept log frames with the four levels and an optional context', () => {
    expect(LogFrameSchema.parse({ level: 'warn', message: 'm' })).toEqual({ level: 'warn', message: 'm' });
    expect(LogFrameSchema.parse({ level: 'info', message: 'm', context: { a: 1 } }).context).toEqual({ a: 1 });
    expect(LogFrameSchema.safeParse({ level: 'trace', message: 'm' }).success).toBe(false);
  });
});
