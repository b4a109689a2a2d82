import { describe, expect, it } from 'vitest';
import { Plugin, PluginError, PluginInputRequired, createPluginLogger, type PluginContext, type PluginFileResult } from '@exlab/plugin-sdk';
import type { InvokeRequest } from '@exlab/plugin-sdk/ipc';
import { runTransform, runValidation, type RuntimeOptions } from '@exlab/plugin-sdk/runtime';

function request(files: string[], extra: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    kind: 'invoke',
    protocol: 1,
    request_id: 'r-1',
    mode: 'transform',
    plugin_dir: '/unused',
    context: {
      variables: { operator: 'asmith', nested: { list: [1] } },
      dst_root: '/run',
      answers_file: '/run/.exlab-answers.yml',
      template_name: 't',
      template_version: '1',
      run_kind: 'experimental',
      equipment_id: 'E',
      project: 'PROJ-1',
      dry_run: false,
    },
    files,
    dry_run: false,
    extra_inputs: null,
    ...extra,
  };
}

function options(PluginClass: new () => Plugin, logs: string[] = []): RuntimeOptions {
  return { logger: createPluginLogger((l) => logs.push(l)), load: async () => PluginClass, peakMemoryMb: () => 42 };
}

/** A plugin recording its hooks; behaviour steered by file names. */
function spy(calls: string[]) {
  return class Spy extends Plugin {
    override preTransformAll(ctx: PluginContext, files: readonly string[]) {
      calls.push(`pre ${files.length}`);
      expect(Object.isFrozen(ctx)).toBe(true);
      expect(Object.isFrozen(ctx.variables.nested)).toBe(true);
    }
    override canHandle(file: string) {
      calls.push(`can ${file}`);
      if (file === 'boom') throw new Error('canHandle broke');
      return file !== 'skip';
    }
    override async transform(file: string, ctx: PluginContext) {
      calls.push(`transform ${file}`);
      if (file === 'fail') throw new PluginError('cannot');
      if (file === 'ask') throw new PluginInputRequired([{ id: 'color' }], 'which color?');
      if (file === 'crash') throw new TypeError('bug');
      ctx.logger.info('did', { file });
      return [{ path: file, kind: 'modify' as const, summary: 'changed' }];
    }
    override postTransformAll(_ctx: PluginContext, results: readonly PluginFileResult[]) {
      calls.push(`post ${results.map((r) => r.status).join(',')}`);
    }
    override onPluginFailure(_ctx: PluginContext, error: unknown) {
      calls.push(`failure ${(error as Error).message}`);
    }
  };
}

describe('runTransform (A8)', () => {
  it('runs pre, can/transform per file and post, and reports each file', async () => {
    const calls: string[] = [];
    const logs: string[] = [];
    const outcome = await runTransform(request(['a', 'skip', 'boom', 'b']), options(spy(calls), logs));
    expect(calls).toEqual([
      'pre 4',
      'can a',
      'transform a',
      'can skip',
      'can boom',
      'can b',
      'transform b',
      'post modified,skipped,failed,modified',
    ]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.frame).toMatchObject({ kind: 'result', request_id: 'r-1', result: 'success', error_message: null, peak_memory_mb: 42 });
    expect(outcome.frame.per_file[0]).toEqual({
      path: 'a',
      status: 'modified',
      changes: [{ path: 'a', kind: 'modify', summary: 'changed' }],
    });
    expect(outcome.frame.per_file[2]).toEqual({ path: 'boom', status: 'failed', changes: null, error: 'canHandle threw: canHandle broke' });
    expect(logs[0]).toBe('{"level":"info","message":"did","context":{"file":"a"}}\n');
  });

  it('exits 1 on PluginError after onPluginFailure, without post', async () => {
    const calls: string[] = [];
    const outcome = await runTransform(request(['a', 'fail', 'b']), options(spy(calls)));
    expect(calls).toEqual(['pre 3', 'can a', 'transform a', 'can fail', 'transform fail', 'failure cannot']);
    expect(outcome).toMatchObject({ exitCode: 1, frame: { result: 'failed', error_message: 'cannot' } });
  });

  it('exits 2 with the prompt and the trigger file on PluginInputRequired', async () => {
    const calls: string[] = [];
    const outcome = await runTransform(request(['a', 'ask', 'b']), options(spy(calls)));
    expect(outcome.exitCode).toBe(2);
    expect(outcome.frame.input_required).toEqual({
      fields: [{ id: 'color', label: 'color', type: 'string', required: true }],
      reason: 'which color?',
      file: 'ask',
    });
    expect(outcome.frame.per_file.map((f) => f.status)).toEqual(['modified', 'input_required']);
    expect(calls.at(-1)).toBe('failure which color?');
  });

  it('exits 3 on any other error, and a throwing onPluginFailure is logged and swallowed', async () => {
    const logs: string[] = [];
    class Broken extends Plugin {
      override transform(): never {
        throw new TypeError('bug');
      }
      override onPluginFailure(): never {
        throw new RangeError('cleanup broke');
      }
    }
    const outcome = await runTransform(request(['a']), options(Broken, logs));
    expect(outcome).toMatchObject({ exitCode: 3, frame: { result: 'failed', error_message: 'bug' } });
    expect(logs.some((l) => l.includes('cleanup broke'))).toBe(true);
  });

  it('skips post when pre throws, and runs post with no files', async () => {
    class PreFails extends Plugin {
      override preTransformAll(): never {
        throw new PluginError('no setup');
      }
      override postTransformAll(): never {
        throw new RangeError('post must not run');
      }
    }
    expect(await runTransform(request(['a']), options(PreFails))).toMatchObject({ exitCode: 1, frame: { error_message: 'no setup' } });
    const calls: string[] = [];
    expect((await runTransform(request([]), options(spy(calls)))).exitCode).toBe(0);
    expect(calls).toEqual(['pre 0', 'post ']);
  });

  it('calls describeChanges in a dry run, and passes extra_inputs in the context', async () => {
    let seen: unknown;
    class Describe extends Plugin {
      override transform(): never {
        throw new RangeError('transform must not run in a dry run');
      }
      override describeChanges(file: string, ctx: PluginContext) {
        seen = ctx.extra_inputs;
        return [{ path: file, kind: 'create' as const, summary: 'would create', detail: { n: 1 } }];
      }
    }
    const outcome = await runTransform(request(['a'], { dry_run: true, extra_inputs: { color: 'red' } }), options(Describe));
    expect(outcome.frame.per_file).toEqual([
      { path: 'a', status: 'described', changes: [{ path: 'a', kind: 'create', summary: 'would create', detail: { n: 1 } }] },
    ]);
    expect(seen).toEqual({ color: 'red' });
  });

  it('exits 3 with import_failed when the plugin cannot be loaded or is not branded', async () => {
    const outcome = await runTransform(request(['a']), {
      logger: createPluginLogger(() => undefined),
      load: async () => {
        throw new RangeError('no such module');
      },
    });
    expect(outcome).toMatchObject({ exitCode: 3, frame: { result: 'failed', error_message: 'import_failed: no such module' } });
  });
});

describe('runValidation (§6.3.6)', () => {
  it('returns the plugin messages with exit 0, and import_failed with exit 3', async () => {
    class Checks extends Plugin {
      override validateVariables(variables: Readonly<Record<string, unknown>>) {
        return variables.operator === 'asmith' ? ['operator asmith is on leave'] : [];
      }
    }
    expect(await runValidation(request([], { mode: 'validate' }), options(Checks))).toEqual({
      exitCode: 0,
      frame: { kind: 'validation', request_id: 'r-1', errors: ['operator asmith is on leave'], peak_memory_mb: 42 },
    });
    const broken = await runValidation(request([], { mode: 'validate' }), {
      logger: createPluginLogger(() => undefined),
      load: async () => {
        throw new RangeError('missing dependency');
      },
    });
    expect(broken).toMatchObject({ exitCode: 3, frame: { errors: ['import_failed: missing dependency'] } });
  });
});
