import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRODUCT_VERSION } from '@exlab/core/constants';
import { runCli, type Output } from '@exlab/cli';
import { killAndWait, runExlab, sandbox, startForeground, waitFor, type Sandbox } from './exlab-process.js';

let sb: Sandbox;

beforeEach(async () => {
  sb = await sandbox();
});

afterEach(async () => {
  await sb.cleanup();
});

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('exlab usage', () => {
  it('prints the version and exits 0', async () => {
    const result = await runExlab(['--version'], sb.env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(PRODUCT_VERSION);
  });

  it('prints help listing the commands and exits 0', async () => {
    const output = capture();
    expect(await runCli(['--help'], { output, env: sb.env })).toBe(0);
    const help = output.lines.join('\n');
    for (const command of ['start', 'status', 'stop', 'config']) expect(help).toContain(command);
  });

  it('exits 64 on an unknown option and says what was wrong', async () => {
    const result = await runExlab(['start', '--bogus'], sb.env);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('exits 64 on a port that is not a number', async () => {
    const output = capture();
    expect(await runCli(['start', '--port', 'eighty'], { output, env: sb.env })).toBe(64);
    expect(output.errors.join('\n')).toContain('"eighty" is not a port number');
  });
});

describe('compile cache', () => {
  const cacheDir = (): string => join(sb.home, '.cache', 'exlab-wizard', 'compile-cache');

  it('keeps compiled modules under the cache dir, so the next run skips compiling them', async () => {
    expect((await runExlab(['status', '--state-dir', sb.stateDir], sb.env)).code).toBe(3);
    expect((await readdir(cacheDir(), { recursive: true })).length).toBeGreaterThan(0);
  });

  it('is written while a tray runs, so a tray killed later still leaves it for the next start', async () => {
    const cacheFiles = async (): Promise<string[]> =>
      (await readdir(cacheDir(), { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name);
    const tray = await startForeground(sb);
    try {
      expect(await cacheFiles()).toEqual([]);
      await waitFor('the compile cache', async () => ((await cacheFiles()).length > 0 ? true : undefined));
    } finally {
      await killAndWait(tray);
    }
    expect((await cacheFiles()).length).toBeGreaterThan(0);
  });

  it('writes no cache with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const result = await runExlab(['--version'], { ...sb.env, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(result.code).toBe(0);
    expect(await readdir(sb.home)).toEqual([]);
  });

  it('still runs when the cache dir cannot be created', async () => {
    await writeFile(join(sb.home, '.cache'), 'a file where the cache folder would go');
    const result = await runExlab(['--version'], sb.env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(PRODUCT_VERSION);
  });
});

describe('exlab config check', () => {
  it('accepts a valid config and names its setup state', async () => {
    const dir = join(sb.root, 'lab');
    await mkdir(dir);
    const file = join(sb.root, 'config.yaml');
    await writeFile(
      file,
      `paths: {templates_dir: ${dir}, plugin_dir: ${dir}, local_root: ${dir}}\norchestrator: {label: Station, staging_root: ${dir}}\nequipment: []\n`,
    );
    const output = capture();
    expect(await runCli(['config', 'check', file], { output, env: sb.env })).toBe(0);
    expect(output.lines[0]).toBe(`${file}: valid (0 equipment; setup state incomplete_no_equipment)`);
    expect(output.lines).toContain('  still to set: equipment (empty)');
  });

  it('lists every problem with its line and field and exits 1', async () => {
    const file = join(sb.root, 'config.yaml');
    await writeFile(file, 'paths:\n  local_root: /data\n  bogus: 1\nlogging:\n  level: LOUD\n');
    const output = capture();
    expect(await runCli(['config', 'check', file], { output, env: sb.env })).toBe(1);
    const text = output.errors.join('\n');
    expect(text).toContain('config.yaml:3');
    expect(text).toContain('paths.bogus');
    expect(text).toContain('config.yaml:5');
    expect(text).toContain('logging.level');
  });

  it('says where it looked when there is no config at the default path', async () => {
    const output = capture();
    expect(await runCli(['config', 'check'], { output, env: sb.env })).toBe(1);
    expect(output.errors[0]).toBe(
      `No config at ${join(sb.home, '.config/exlab-wizard/config.yaml')}. "exlab start" uses the embedded demo lab until you save one.`,
    );
  });
});
