import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const BUILT = join(import.meta.dirname, '..', 'dist', 'worker.js');
// The worker from its TypeScript sources: Node's type stripping (or tsx where Node lacks it) plus the SDK's own preload.
const SOURCE_ARGS = [
  '--conditions=@exlab/source',
  ...(process.features.typescript ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]),
  '--import',
  pathToFileURL(join(SRC, 'register.ts')).href,
  join(SRC, 'worker.ts'),
];
// What the host runs: the built single-file worker, with no preload (the build runs before the tests in CI).
const BUILT_ARGS = [BUILT];
let NODE_ARGS = SOURCE_ARGS;

let dir: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-sdk-worker-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A plugin folder (no node_modules) whose index.mjs has `body` after importing the SDK. */
async function plugin(name: string, body: string): Promise<string> {
  const pluginDir = join(dir, name);
  await mkdir(pluginDir);
  await writeFile(
    join(pluginDir, 'index.mjs'),
    `import { Plugin as Base, PluginError, PluginInputRequired } from '@exlab/plugin-sdk';\n${body}\n`,
  );
  return pluginDir;
}

function request(pluginDir: string, files: string[], extra: Record<string, unknown> = {}) {
  return {
    kind: 'invoke',
    protocol: 1,
    request_id: 'req-1',
    mode: 'transform',
    plugin_dir: pluginDir,
    context: {
      variables: { operator: 'asmith' },
      dst_root: dir,
      answers_file: join(dir, '.exlab-answers.yml'),
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

function startWorker(): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, NODE_ARGS, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** Sends one request line, closes stdin, and collects the outcome. */
async function runWorker(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startWorker();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(`${line}\n`);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

describe.each([
  { runtime: 'sources', args: SOURCE_ARGS, missing: false },
  { runtime: 'built dist/worker.js', args: BUILT_ARGS, missing: !existsSync(BUILT) },
])('worker process from $runtime (A6-A8)', ({ args, missing }) => {
  beforeEach(({ skip }) => {
    if (missing) skip('the SDK is not built');
    NODE_ARGS = args;
  });

  it('imports a plugin without node_modules, keeps stdout for the one result frame and sends noise and logs to stderr', async () => {
    const pluginDir = await plugin(
      'hello',
      `import { appendFileSync } from 'node:fs';
export class Plugin extends Base {
  transform(file, ctx) {
    console.log('noise');
    process.stdout.write('more noise\\n');
    ctx.logger.info('hello', { cwd: process.cwd() });
    appendFileSync(file, 'hello\\n');
  }
}`,
    );
    const file = join(dir, 'a.txt');
    await writeFile(file, '');
    const { code, stdout, stderr } = await runWorker(JSON.stringify(request(pluginDir, [file])));
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      kind: 'result',
      request_id: 'req-1',
      result: 'success',
      per_file: [{ path: file, status: 'modified' }],
    });
    expect(JSON.parse(lines[0]!).peak_memory_mb).toBeGreaterThan(10);
    expect(stderr).toContain('noise\n');
    expect(stderr).toContain('more noise\n');
    expect(stderr).toContain(`{"level":"info","message":"hello","context":{"cwd":${JSON.stringify(dir)}}}`);
    expect(await readFile(file, 'utf8')).toBe('hello\n');
  });

  it.each([
    ['PluginError', 'export class Plugin extends Base { transform() { throw new PluginError("no"); } }', 1, 'failed'],
    [
      'PluginInputRequired',
      'export class Plugin extends Base { transform() { throw new PluginInputRequired([{ id: "c" }], "why"); } }',
      2,
      'input_required',
    ],
    ['another error', 'export class Plugin extends Base { transform() { null.x; } }', 3, 'failed'],
    ['a missing export', 'export class Other extends Base {}', 3, 'failed'],
    ['an unbranded class', 'export class Plugin {}', 3, 'failed'],
  ])('exits with the code of %s', async (_what, body, exitCode, result) => {
    const pluginDir = await plugin('p', body);
    const { code, stdout } = await runWorker(JSON.stringify(request(pluginDir, [join(dir, 'a.txt')])));
    expect(code).toBe(exitCode);
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'result', result });
  });

  it('exits 3 without a frame on a request that is not an invoke line', async () => {
    const { code, stdout, stderr } = await runWorker('{"kind":"hello"}');
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('not an invoke request');
  });

  it('validates, holds, then transforms on the second request line (§6.3.6)', async () => {
    const pluginDir = await plugin(
      'v',
      `export class Plugin extends Base {
  validateVariables(v) { return v.operator === 'asmith' ? [] : ['operator unknown']; }
  transform() {}
}`,
    );
    const child = startWorker();
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stdin.write(`${JSON.stringify(request(pluginDir, [], { mode: 'validate', hold: true }))}\n`);
    expect(JSON.parse((await lines.next()).value as string)).toMatchObject({ kind: 'validation', request_id: 'req-1', errors: [] });
    child.stdin.end(`${JSON.stringify(request(pluginDir, [join(dir, 'a.txt')], { request_id: 'req-2' }))}\n`);
    expect(JSON.parse((await lines.next()).value as string)).toMatchObject({ kind: 'result', request_id: 'req-2', result: 'success' });
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  });

  it('exits 0 when a held worker is released by closing stdin', async () => {
    const pluginDir = await plugin('v', 'export class Plugin extends Base {}');
    const child = startWorker();
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stdin.write(`${JSON.stringify(request(pluginDir, [], { mode: 'validate', hold: true }))}\n`);
    await lines.next();
    child.stdin.end();
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  });

  it('reports an import failure in validate mode as import_failed and exits 3', async () => {
    const pluginDir = await plugin('broken', 'throw new Error("cannot load vendor sdk");');
    const { code, stdout } = await runWorker(JSON.stringify(request(pluginDir, [], { mode: 'validate' })));
    expect(code).toBe(3);
    expect(JSON.parse(stdout).errors[0]).toMatch(/^import_failed: .*cannot load vendor sdk/);
  });

  it('reads a request that arrives in pieces and writes a result frame larger than a pipe buffer whole', async () => {
    const pluginDir = await plugin(
      'big',
      `export class Plugin extends Base {
  transform(file) { return Array.from({ length: 2000 }, (_, i) => ({ path: file, kind: 'modify', summary: 'change ' + i + ' ' + 'x'.repeat(100) })); }
}`,
    );
    const file = join(dir, 'a.txt');
    const child = startWorker();
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const line = `${JSON.stringify(request(pluginDir, [file]))}\n`;
    child.stdin.write(line.slice(0, 40));
    setImmediate(() => child.stdin.end(line.slice(40)));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(200_000);
    const frame = JSON.parse(stdout) as { per_file: { changes: unknown[] }[] };
    expect(frame.per_file[0]?.changes).toHaveLength(2000);
  });

  it('finds the entry from package.json main', async () => {
    const pluginDir = join(dir, 'with-main');
    await mkdir(join(pluginDir, 'lib'), { recursive: true });
    await writeFile(join(pluginDir, 'package.json'), JSON.stringify({ name: 'with-main', type: 'module', main: 'lib/entry.js' }));
    await writeFile(
      join(pluginDir, 'lib', 'entry.js'),
      "import { Plugin as Base } from '@exlab/plugin-sdk';\nexport default class extends Base { transform() {} }\n",
    );
    const { code } = await runWorker(JSON.stringify(request(pluginDir, [join(dir, 'a.txt')])));
    expect(code).toBe(0);
  });
});

describe('the built worker', () => {
  it.skipIf(!existsSync(BUILT))(
    'resolves @exlab/plugin-sdk in a plugin to the worker module itself, so plugin and worker share one SDK',
    async () => {
      NODE_ARGS = BUILT_ARGS;
      const pluginDir = await plugin(
        'same',
        `export class Plugin extends Base {
  transform(file, ctx) { ctx.logger.info(import.meta.resolve('@exlab/plugin-sdk')); }
}`,
      );
      const { code, stderr } = await runWorker(JSON.stringify(request(pluginDir, [join(dir, 'a.txt')])));
      expect(code).toBe(0);
      expect(stderr).toContain(`"message":${JSON.stringify(pathToFileURL(BUILT).href)}`);
    },
  );
});
