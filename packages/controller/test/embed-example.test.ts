import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCreationJson } from '@exlab/core/cache';
import { EQUIPMENT_ID, createTestLab, type TestLab } from './support/lab.js';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = join(PACKAGE_ROOT, 'examples', 'embed.ts');

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

describe('examples/embed.ts', () => {
  it('creates a run from a script with tsx, from the sources, and prints where it went', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--conditions=@exlab/source', EXAMPLE, lab.configPath, EQUIPMENT_ID, 'Cortex Q3 Pilot'],
      { cwd: PACKAGE_ROOT, env: { ...process.env, USER: 'ada' } },
    );
    const outcome = JSON.parse(stdout) as { state: string; path: string };
    expect(outcome.state).toBe('done');
    expect(outcome.path.startsWith(join(lab.localRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot', 'Runs', 'Run_'))).toBe(true);
    const creation = await readCreationJson(outcome.path);
    expect(creation).toMatchObject({ level: 'run', run_kind: 'experimental', template: { name: 'imaging_run' } });
  });
});
