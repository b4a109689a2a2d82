import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findExecutable,
  groupHasLiveMembers,
  isProcessAlive,
  processGroupOf,
  readProcessStartToken,
  terminateProcessTree,
} from '../../src/process/index.js';
import { exited, killAllChildren, pidOf, spawnSleeper, spawnTracked } from './child-processes.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-pgroup-'));
});

afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

/** A detached group leader with one grandchild; both ignore SIGTERM when `stubborn`. */
function groupWithGrandchild(stubborn: boolean): { leader: number; grandchildFile: string } {
  const grandchildFile = join(dir, 'grandchild.pid');
  const ignore = stubborn ? "process.on('SIGTERM', () => {});" : '';
  const script = `
    const { spawn } = require('child_process');
    const fs = require('fs');
    ${ignore}
    const g = spawn(process.execPath, ['-e', ${JSON.stringify(`${ignore} setInterval(() => {}, 1000)`)}], { stdio: 'ignore' });
    fs.writeFileSync(${JSON.stringify(grandchildFile)}, String(g.pid));
    setInterval(() => {}, 1000);`;
  const child = spawnTracked(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  return { leader: pidOf(child), grandchildFile };
}

async function waitForFile(path: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  for (let i = 0; i < 500; i += 1) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text !== '') return Number(text);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} never appeared`);
}

describe('terminateProcessTree', () => {
  it('ends a detached process and its grandchildren with SIGTERM to the group', async () => {
    const { leader, grandchildFile } = groupWithGrandchild(false);
    const grandchild = await waitForFile(grandchildFile);
    expect(await processGroupOf(leader)).toBe(leader);
    const token = await readProcessStartToken(leader);
    expect(await terminateProcessTree(leader, { pidStart: token, graceMs: 5_000 })).toBe('terminated');
    expect(await isProcessAlive(grandchild)).toBe(false);
    // Exited members may linger as zombies until they are reaped; none is still running.
    expect(await groupHasLiveMembers(leader)).toBe(false);
  });

  it('sends SIGKILL to the whole group after the grace period when SIGTERM is ignored', async () => {
    const { leader, grandchildFile } = groupWithGrandchild(true);
    const grandchild = await waitForFile(grandchildFile);
    const token = await readProcessStartToken(leader);
    const started = performance.now();
    expect(await terminateProcessTree(leader, { pidStart: token, graceMs: 300 })).toBe('killed');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await isProcessAlive(grandchild)).toBe(false);
  });

  it('signals nothing when the start token does not match (a reused pid)', async () => {
    const other = spawnSleeper();
    const pid = pidOf(other);
    const token = await readProcessStartToken(pid);
    expect(await terminateProcessTree(pid, { pidStart: `${token}-earlier-process`, graceMs: 100 })).toBe('not_running');
    expect(await isProcessAlive(pid, token)).toBe(true);
  });

  it('signals only the process itself when it does not lead its own group', async () => {
    const child = spawnSleeper();
    const pid = pidOf(child);
    expect(await processGroupOf(pid)).toBe(await processGroupOf(process.pid));
    expect(await terminateProcessTree(pid, { pidStart: await readProcessStartToken(pid), graceMs: 5_000 })).toBe('terminated');
    await exited(child);
    expect(await isProcessAlive(process.pid)).toBe(true);
  });

  it('reports not_running for a pid that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = pidOf(child);
    await exited(child);
    expect(await terminateProcessTree(pid, { pidStart: null, graceMs: 100 })).toBe('not_running');
  });
});

describe('findExecutable', () => {
  it('finds an executable file on the given PATH only', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'rsync'), '#!/bin/sh\n');
    await writeFile(join(bin, 'not-executable'), '');
    await chmod(join(bin, 'rsync'), 0o755);
    expect(await findExecutable('rsync', { env: { PATH: bin } })).toBe(join(bin, 'rsync'));
    expect(await findExecutable('rsync', { env: { PATH: join(dir, 'empty') } })).toBeNull();
    expect(await findExecutable('not-executable', { env: { PATH: bin } })).toBeNull();
    expect(await findExecutable(join(bin, 'rsync'), { env: { PATH: '' } })).toBe(join(bin, 'rsync'));
  });
});
