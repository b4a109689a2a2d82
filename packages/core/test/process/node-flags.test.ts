import { describe, expect, it } from 'vitest';
import { nodeRuntimeFlags } from '../../src/process/index.js';

describe('nodeRuntimeFlags', () => {
  it('turns node:sqlite on for Node 22.12, where it is still behind a flag', () => {
    expect(nodeRuntimeFlags('22.12.0')).toEqual(['--experimental-sqlite']);
  });

  it('needs no flag from Node 22.13 on', () => {
    expect(nodeRuntimeFlags('22.13.0')).toEqual([]);
    expect(nodeRuntimeFlags('24.21.0')).toEqual([]);
  });
});
