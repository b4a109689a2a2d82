import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeIsolationSupport, withCompileCache, workerEnv } from '@exlab/core/plugins';
import { cleanup, hostWith, pass, processAlive, runFolder, tempDir, waitFor, type LoggedLine } from './support.js';

let server: Server | undefined;

afterEach(async () => {
  await cleanup();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/** A TCP server on 127.0.0.1 (port 0) the env_probe fixture tries to reach. */
async function loopbackPort(): Promise<number> {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** The pid a fixture logs before it goes to sleep. */
function loggedPid(lines: LoggedLine[], message: string): number | undefined {
  const pid = lines.find((l) => l.msg === message)?.fields?.pid;
  return typeof pid === 'number' ? pid : undefined;
}

describe('wall-clock timeout (A9)', () => {
  it('kills the timeout fixture within timeout + 2 s: status timeout, exit 124, file unchanged', async () => {
    const { host, logger } = await hostWith(['timeout']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const started = Date.now();
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    const elapsed = Date.now() - started;
    expect(applied).toMatchObject([{ plugin: 'timeout', status: 'timeout', error: 'timeout', files_affected: [] }]);
    expect(applied[0]?.isolation?.exit_code).toBe(124);
    expect(applied[0]?.isolation?.duration_ms).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4_000);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
    const pid = loggedPid(logger.lines, 'timeout fixture sleeping');
    expect(pid).toBeDefined();
    expect(await processAlive(pid!)).toBe(false);
  });

  it('kills a worker that ignores SIGTERM one second after the TERM', async () => {
    const { host, logger } = await hostWith(['term_ignorer']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const started = Date.now();
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied).toMatchObject([{ status: 'timeout' }]);
    // TERM at 2 s is ignored; KILL follows 1 s later.
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(await processAlive(loggedPid(logger.lines, 'term_ignorer sleeping')!)).toBe(false);
  });
});

describe('shutdown (A6)', () => {
  it('TERMs every worker, KILLs the ones still there after the grace, and ends the pass as aborted', async () => {
    const { host, logger } = await hostWith(['term_ignorer']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const running = host.runPass(pass(dst, ['notes.txt']));
    const pid = await waitFor('the worker to start', () => loggedPid(logger.lines, 'term_ignorer sleeping'));
    expect(host.liveWorkers()).toBe(1);
    const started = Date.now();
    await host.shutdown(1_000);
    expect(await processAlive(pid)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(host.liveWorkers()).toBe(0);
    expect(await running).toEqual({ applied: [], aborted: true });
    await expect(host.runPass(pass(dst, ['notes.txt']))).rejects.toMatchObject({ code: 'plugin_host_unavailable' });
  });
});

describe('shutdown of cooperative workers', () => {
  it('does not wait out the grace period when the workers stop on TERM', async () => {
    const { host, logger } = await hostWith(['timeout']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const running = host.runPass(pass(dst, ['notes.txt']));
    const pid = await waitFor('the worker to start', () => loggedPid(logger.lines, 'timeout fixture sleeping'));
    const started = Date.now();
    await host.shutdown(10_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await processAlive(pid)).toBe(false);
    expect((await running).aborted).toBe(true);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
  });
});

describe('memory (A9)', () => {
  it('stops the Buffer hog with memory_limit_exceeded and leaves the host RSS alone', async () => {
    const { host } = await hostWith(['memory_hog']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const before = process.memoryUsage().rss;
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    const after = process.memoryUsage().rss;
    expect(applied).toMatchObject([{ plugin: 'memory_hog', status: 'failed', error: 'memory_limit_exceeded' }]);
    expect(applied[0]?.isolation?.peak_memory_mb).toBeGreaterThan(128);
    expect((after - before) / 1024 / 1024).toBeLessThan(50);
  });
});

describe('worker environment and OS limits (A6, A9)', () => {
  it('passes only PATH, HOME, LANG and EXLAB_*, never NODE_OPTIONS, and works in the run folder', async () => {
    const { host } = await hostWith(['env_probe'], {
      env: {
        PATH: process.env.PATH,
        HOME: '/home/lab',
        LANG: 'C.UTF-8',
        NODE_OPTIONS: '--max-old-space-size=1',
        EXLAB_MARKER: '1',
        SECRET_TOKEN: 'x',
      },
    });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied[0]?.status).toBe('success');
    const seen = JSON.parse(await readFile(join(dst, 'notes.txt'), 'utf8')) as Record<string, unknown>;
    expect(seen.env).toEqual(['EXLAB_MARKER', 'HOME', 'LANG', 'PATH']);
    expect(seen.cwd).toBe(dst);
    // The heap cap comes from isolation.memory_mb (128 MB old space; V8 adds its young generation),
    // not from the dropped NODE_OPTIONS (which would not even start) nor the multi-GB default.
    expect(seen.heapLimitMb).toBeGreaterThanOrEqual(128);
    expect(seen.heapLimitMb).toBeLessThan(1024);
    if (applied[0]?.isolation?.rlimits === 'prlimit') {
      expect(seen.nofile).toBe('256');
      // RLIMIT_CPU is 2 x timeout_seconds (7 s), plus the 5 s validation budget of the worker that validated first.
      expect(seen.cpu).toBe(String(2 * 7 + 5));
    }
  });

  it('cuts the worker off the network when a namespace is available, and records what was applied', async () => {
    const port = await loopbackPort();
    const env = { PATH: process.env.PATH, EXLAB_PROBE_PORT: String(port) };
    const denied = await hostWith(['env_probe'], { env });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await denied.host.runPass(pass(dst, ['notes.txt']));
    const seen = JSON.parse(await readFile(join(dst, 'notes.txt'), 'utf8')) as Record<string, unknown>;
    // Linux with unprivileged user namespaces (probed once, as the host does) must get the namespace.
    expect(applied[0]?.isolation?.network).toBe((await probeIsolationSupport()).unshare === null ? 'none' : 'namespace');
    if (applied[0]?.isolation?.network === 'namespace') {
      // Not even the host's loopback is reachable from an empty network namespace.
      expect(seen.loopback).not.toBe('connected');
      expect((seen.interfaces as string[]).filter((name) => name !== 'lo')).toEqual([]);
    }
    const open = await hostWith(['env_probe'], { env, osIsolation: false });
    const openDst = await runFolder({ 'notes.txt': '' });
    await open.host.runPass(pass(openDst, ['notes.txt']));
    expect((JSON.parse(await readFile(join(openDst, 'notes.txt'), 'utf8')) as Record<string, unknown>).loopback).toBe('connected');
  });

  it('runs without the OS wrappers when osIsolation is off, and records that', async () => {
    const { host } = await hostWith(['env_probe'], { osIsolation: false });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied[0]?.isolation).toMatchObject({ network: 'none', rlimits: 'none' });
    const seen = JSON.parse(await readFile(join(dst, 'notes.txt'), 'utf8')) as Record<string, unknown>;
    expect(seen.nofile).not.toBe('256');
  });

  it('filters the environment the Windows way on Windows', () => {
    const env = workerEnv(
      { Path: 'C:\\bin', SystemRoot: 'C:\\Windows', TEMP: 't', USERPROFILE: 'u', NODE_OPTIONS: 'x', APPDATA: 'a' },
      'win32',
    );
    expect(Object.keys(env).sort()).toEqual(['Path', 'SystemRoot', 'TEMP', 'USERPROFILE']);
    expect(Object.keys(workerEnv({ SystemRoot: 'C:\\Windows', EXLAB_X: '1' }, 'linux'))).toEqual(['EXLAB_X']);
  });
});

describe('compile cache of workers', () => {
  it('gives workers the compile cache folder of the host, which the first pass fills', async () => {
    const cacheDir = join(await tempDir('compile-cache'), 'cache');
    const { host } = await hostWith(['hello'], { compileCacheDir: cacheDir });
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const { applied } = await host.runPass(pass(dst, ['notes.txt']));
    expect(applied[0]?.status).toBe('success');
    expect((await readdir(cacheDir, { recursive: true })).length).toBeGreaterThan(0);
  });

  it('passes the folder as EXLAB_COMPILE_CACHE only when there is one', () => {
    expect(withCompileCache({ PATH: '/bin' }, '/c')).toEqual({ PATH: '/bin', EXLAB_COMPILE_CACHE: '/c' });
    expect(withCompileCache({ PATH: '/bin' }, null)).toEqual({ PATH: '/bin' });
  });
});
