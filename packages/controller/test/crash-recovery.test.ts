import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepInterruptedCreations } from '@exlab/controller';
import {
  EQUIPMENT_ID,
  IMAGING_RUN_FILES,
  createTestLab,
  listTree,
  recordingLogger,
  runRequest,
  testController,
  type TestLab,
} from './support/lab.js';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = join(PACKAGE_ROOT, 'test', 'fixtures', 'interrupted-creation.ts');
const PROJECT = 'Cortex Q3 Pilot';

let lab: TestLab;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }),
  );
  children.clear();
  await lab.remove();
});

/** Starts a creation in a child process and resolves with the temporary folder once it is rendering. */
async function interruptedCreation(): Promise<{ child: ChildProcess; staging: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@exlab/source', CHILD, lab.configPath, JSON.stringify(runRequest())],
    {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('rendering ')) return { child, staging: line.slice('rendering '.length) };
  }
  throw new Error(`the creating process ended before rendering: ${stderr}`);
}

describe('crash recovery (§4.8)', () => {
  it('after kill -9 during rendering, the next start sweeps and logs the temporary folder, the destination does not exist, and a retry succeeds', async () => {
    const { child, staging } = await interruptedCreation();
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(basename(staging).startsWith(`.exlab-creating-Run_2026-03-02T09-15.${child.pid}.`)).toBe(true);
    expect(await listTree(staging)).toContain('acquisition_notes.md');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const logger = recordingLogger();
    const c = testController(lab, { logger });
    const swept = await c.recovery();

    expect(swept).toEqual([{ path: staging, equipmentId: EQUIPMENT_ID, destination, pid: child.pid }]);
    expect(c.interruptedCreations).toEqual(swept);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining(staging) }));
    expect(await listTree(join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs'))).toEqual([]);

    const retry = await c.createRunToEnd(runRequest());
    expect(retry.state).toBe('done');
    expect(await listTree(destination)).toEqual(IMAGING_RUN_FILES);
  });

  it('leaves alone the temporary folder of a creation still running in another process', async () => {
    const { staging } = await interruptedCreation();
    const swept = await sweepInterruptedCreations(lab.config);
    expect(swept).toEqual([]);
    expect(await listTree(staging)).toContain('acquisition_notes.md');
  });

  it('sweeps project-level leftovers and leftovers without a pid in their name, and keeps everything else', async () => {
    const equipment = join(lab.localRoot, EQUIPMENT_ID);
    const projectLeftover = join(equipment, '.exlab-creating-Retina Mapping.999999.0badc0de');
    const legacyLeftover = join(equipment, PROJECT, 'TestRuns', '.exlab-creating-TestRun_2026-01-01T00-00');
    const keep = join(equipment, PROJECT, 'Runs', 'Run_2026-01-01T00-00');
    for (const dir of [projectLeftover, legacyLeftover, keep]) await mkdir(dir, { recursive: true });
    await writeFile(join(projectLeftover, 'half.txt'), 'x');

    const swept = await sweepInterruptedCreations(lab.config, { isAlive: async () => false });
    expect(swept.map((s) => s.path).sort()).toEqual([legacyLeftover, projectLeftover].sort());
    expect(swept.find((s) => s.path === projectLeftover)).toMatchObject({ destination: join(equipment, 'Retina Mapping'), pid: 999999 });
    expect(await listTree(equipment)).toEqual([
      `${PROJECT}/`,
      `${PROJECT}/Runs/`,
      `${PROJECT}/Runs/Run_2026-01-01T00-00/`,
      `${PROJECT}/TestRuns/`,
    ]);
  });
});
