import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, pluginRoot, processAlive, runFolder, tempDir, waitFor } from './support.js';

const PACKAGE_ROOT = join(import.meta.dirname, '..', '..');
let hostProcess: ChildProcess | undefined;

afterEach(async () => {
  hostProcess?.kill('SIGKILL');
  hostProcess = undefined;
  await cleanup();
});

describe('host death (A6)', () => {
  it('leaves no worker alive 5 s after the host is killed with SIGKILL mid-pass', async () => {
    const root = await pluginRoot(['timeout']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const logDir = await tempDir('logs');
    hostProcess = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@exlab/source', join(import.meta.dirname, 'host-script.ts'), root, dst, logDir],
      {
        cwd: PACKAGE_ROOT,
        stdio: 'ignore',
      },
    );
    const stderrFile = join(logDir, 'timeout', 'host-death.stderr');
    const pid = await waitFor('the worker to log its pid', async () => {
      const text = await readFile(stderrFile, 'utf8').catch(() => '');
      const match = /"pid":(\d+)/.exec(text);
      return match === null ? undefined : Number(match[1]);
    });
    expect(await processAlive(pid)).toBe(true);
    hostProcess.kill('SIGKILL');
    await waitFor('the worker to die', async () => ((await processAlive(pid)) ? undefined : true), 5_000);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
  });
});
