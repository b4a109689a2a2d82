// runPluginLocally: what a plugin author's own test sees when it runs a plugin folder over files.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPluginLocally } from '../src/local-harness.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-sdk-local-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A plugin folder (no node_modules) whose index.mjs has `body` after importing the SDK. */
async function plugin(body: string): Promise<string> {
  const pluginDir = join(dir, 'plugin');
  await mkdir(pluginDir);
  await writeFile(
    join(pluginDir, 'index.mjs'),
    `import { appendFile } from 'node:fs/promises';\nimport { Plugin as Base, PluginError, PluginInputRequired } from '@exlab/plugin-sdk';\n${body}\n`,
  );
  return pluginDir;
}

/** A run folder with the given files; returns the folder. */
async function run(files: Record<string, string>): Promise<string> {
  const runDir = join(dir, 'run');
  await mkdir(runDir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(runDir, name), content);
  return runDir;
}

const STAMP = `export class Plugin extends Base {
  async transform(file, ctx) {
    ctx.logger.info('stamping', { file });
    console.log('noise');
    await appendFile(file, 'id=' + ctx.variables.sample_id + '\\n');
    return [{ path: file, kind: 'modify', summary: 'stamped' }];
  }
}`;

const ASKS = `export class Plugin extends Base {
  async transform(file, ctx) {
    const color = ctx.extra_inputs?.color;
    if (color === undefined) throw new PluginInputRequired([{ id: 'color', label: 'Color' }], 'Which color?');
    await appendFile(file, 'color=' + color + '\\n');
  }
}`;

describe('runPluginLocally', () => {
  it('runs the plugin over the files and returns results, changes and logs', async () => {
    const pluginDir = await plugin(STAMP);
    const runDir = await run({ 'a.txt': '', 'b.txt': '' });
    const result = await runPluginLocally(pluginDir, ['a.txt', 'b.txt'], { dstRoot: runDir, variables: { sample_id: 'S-1' } });
    expect(result.result).toBe('success');
    expect(result.exitCode).toBe(0);
    expect(result.perFile.map((r) => r.status)).toEqual(['modified', 'modified']);
    expect(result.changes.map((c) => c.summary)).toEqual(['stamped', 'stamped']);
    expect(result.logs.filter((l) => l.message === 'stamping')).toHaveLength(2);
    expect(result.stderr).toContain('noise');
    expect(await readFile(join(runDir, 'a.txt'), 'utf8')).toBe('id=S-1\n');
  });

  it('takes absolute paths and defaults the run folder to the first file’s folder', async () => {
    const pluginDir = await plugin(STAMP);
    const runDir = await run({ 'a.txt': '' });
    const result = await runPluginLocally(pluginDir, [join(runDir, 'a.txt')], { variables: { sample_id: 'S-2' } });
    expect(result.result).toBe('success');
    expect(await readFile(join(runDir, 'a.txt'), 'utf8')).toBe('id=S-2\n');
  });

  it('describes instead of writing in a dry run', async () => {
    const pluginDir = await plugin(STAMP);
    const runDir = await run({ 'a.txt': 'x' });
    const result = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir, dryRun: true, variables: { sample_id: 'S-1' } });
    expect(result.perFile.map((r) => r.status)).toEqual(['described']);
    expect(await readFile(join(runDir, 'a.txt'), 'utf8')).toBe('x');
  });

  it('reports a prompt it cannot answer, and answers it through onInputRequired', async () => {
    const pluginDir = await plugin(ASKS);
    const runDir = await run({ 'a.txt': '' });
    const unanswered = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir });
    expect(unanswered.result).toBe('input_required');
    expect(unanswered.exitCode).toBe(2);
    expect(unanswered.prompts).toMatchObject([{ reason: 'Which color?', fields: [{ id: 'color', label: 'Color' }], answers: null }]);
    expect(unanswered.cancelled).toBe(false);

    const answered = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir, onInputRequired: () => ({ color: 'red' }) });
    expect(answered.result).toBe('success');
    expect(answered.prompts).toHaveLength(1);
    expect(answered.perFile.map((r) => r.status)).toEqual(['modified']);
    expect(await readFile(join(runDir, 'a.txt'), 'utf8')).toBe('color=red\n');

    const cancelled = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir, onInputRequired: () => null });
    expect(cancelled.cancelled).toBe(true);
  });

  it('hands extraInputs to the plugin up front', async () => {
    const pluginDir = await plugin(ASKS);
    const runDir = await run({ 'a.txt': '' });
    const result = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir, extraInputs: { color: 'blue' } });
    expect(result.result).toBe('success');
    expect(result.prompts).toEqual([]);
    expect(await readFile(join(runDir, 'a.txt'), 'utf8')).toBe('color=blue\n');
  });

  it('returns a PluginError as a failed run with its message', async () => {
    const pluginDir = await plugin(
      `export class Plugin extends Base { transform() { throw new PluginError('sample_id must look like S-1'); } }`,
    );
    const runDir = await run({ 'a.txt': '' });
    const result = await runPluginLocally(pluginDir, ['a.txt'], { dstRoot: runDir });
    expect(result.result).toBe('failed');
    expect(result.exitCode).toBe(1);
    expect(result.errorMessage).toContain('sample_id must look like S-1');
  });
});
