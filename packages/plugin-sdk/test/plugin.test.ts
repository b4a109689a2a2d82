import { describe, expect, it } from 'vitest';
import {
  PLUGIN_BRAND,
  Plugin,
  PluginError,
  PluginInputRequired,
  createPluginLogger,
  inputField,
  isPluginClass,
  isPluginError,
  isPluginInputRequired,
  isPluginInstance,
} from '@exlab/plugin-sdk';

describe('Plugin brand (A1)', () => {
  it('marks the class and its instances with Symbol.for("exlab.plugin")', () => {
    class Mine extends Plugin {}
    expect(PLUGIN_BRAND).toBe(Symbol.for('exlab.plugin'));
    expect(isPluginClass(Mine)).toBe(true);
    expect(isPluginInstance(new Mine())).toBe(true);
    expect(isPluginClass(class NotAPlugin {})).toBe(false);
    expect(isPluginInstance({})).toBe(false);
  });

  it('accepts a class from another copy of the SDK by its brand alone', () => {
    // What a bundled copy of the SDK produces: same registered symbol, different class.
    const brand: unique symbol = Symbol.for('exlab.plugin');
    class Foreign {
      static [brand] = true;
      get [brand]() {
        return true;
      }
    }
    expect(isPluginClass(Foreign)).toBe(true);
    expect(isPluginInstance(new Foreign())).toBe(true);
  });

  it('has defaults for every hook but transform', async () => {
    const plugin = new (class Empty extends Plugin {})();
    expect(await plugin.validateVariables({})).toEqual([]);
    expect(await plugin.canHandle('/run/a.txt', {} as never)).toBe(true);
    expect(await plugin.describeChanges('/run/sub/a.txt', {} as never)).toEqual([
      { path: '/run/sub/a.txt', kind: 'modify', summary: 'Empty would modify a.txt' },
    ]);
    expect(() => plugin.transform('/run/a.txt', {} as never)).toThrow(PluginError);
  });
});

describe('plugin errors', () => {
  it('brand PluginError and PluginInputRequired so any SDK copy recognises them', () => {
    expect(new PluginError('x').exlab).toBe('plugin_error');
    expect(isPluginError(new PluginError('x'))).toBe(true);
    expect(isPluginError({ exlab: 'plugin_error', message: 'from elsewhere' })).toBe(true);
    expect(isPluginError(new Error('plain'))).toBe(false);
    const input = new PluginInputRequired([{ id: 'batch_no' }], 'need the batch');
    expect(isPluginInputRequired(input)).toBe(true);
    expect(isPluginInputRequired({ exlab: 'input_required', fields: [], reason: 'r' })).toBe(true);
    expect(isPluginInputRequired({ exlab: 'input_required' })).toBe(false);
  });

  it('completes input fields with a label, type string and required', () => {
    const input = new PluginInputRequired(
      [{ id: 'batch_no' }, { id: 'kind', type: 'choice', options: ['a', 'b'], required: false, hint: 'pick' }],
      'why',
    );
    expect(input.reason).toBe('why');
    expect(input.fields).toEqual([
      { id: 'batch_no', label: 'batch no', type: 'string', required: true },
      { id: 'kind', label: 'kind', type: 'choice', required: false, options: ['a', 'b'], hint: 'pick' },
    ]);
    expect(inputField({ id: 'd', label: 'Date', type: 'date', default: '2026-01-01' })).toEqual({
      id: 'd',
      label: 'Date',
      type: 'date',
      required: true,
      default: '2026-01-01',
    });
  });
});

describe('createPluginLogger', () => {
  it('writes one JSON log frame per call', () => {
    const lines: string[] = [];
    const logger = createPluginLogger((line) => lines.push(line));
    logger.info('wrote cells', { count: 3 });
    logger.error('broken');
    expect(lines).toEqual(['{"level":"info","message":"wrote cells","context":{"count":3}}\n', '{"level":"error","message":"broken"}\n']);
  });

  it('survives a context that cannot be serialised', () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    createPluginLogger((line) => lines.push(line)).warn('odd', cyclic);
    expect(JSON.parse(lines[0]!)).toEqual({ level: 'warn', message: 'odd', context: { unserializable_context: true } });
  });
});
