// `exlab plugins list|lint|exec|new`, run as the built CLI in a sandbox (the test task builds first).
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_PLUGINS_DIR } from '@exlab/core/plugins';
import { runExlab, sandbox, type Sandbox } from './exlab-process.js';

const CORE_DIR = join(import.meta.dirname, '..', '..', 'core');
const CORE_FIXTURES = join(CORE_DIR, 'test', 'fixtures', 'plugins');

/** The slice of exceljs these tests use; exceljs is a dependency of @exlab/core, not of the CLI. */
interface Workbook {
  addWorksheet(name: string): Worksheet;
  getWorksheet(name: string): Worksheet | undefined;
  definedNames: { add(range: string, name: string): void };
  xlsx: { writeFile(path: string): Promise<void>; readFile(path: string): Promise<unknown> };
}
interface Worksheet {
  getCell(address: string): { value: unknown };
}
const ExcelJS = createRequire(join(CORE_DIR, 'package.json'))('exceljs') as { Workbook: new () => Workbook };

let sb: Sandbox;

beforeEach(async () => {
  sb = await sandbox();
});

afterEach(async () => {
  await sb.cleanup();
});

const exlab = (...args: string[]) => runExlab(['plugins', ...args], sb.env);

/** A plugin folder `name` under the sandbox with the given manifest and index.mjs. */
async function plugin(name: string, manifest: string, index: string): Promise<string> {
  const dir = join(sb.root, 'plugins', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.yml'), manifest);
  await writeFile(join(dir, 'index.mjs'), index);
  return dir;
}

const HELLO_INDEX = `import { Plugin as Base } from '@exlab/plugin-sdk';
export class Plugin extends Base { transform() { return []; } }
`;

/** Runs `npm test` in `cwd` and resolves its exit code and output. */
function npmTest(cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['test'], { cwd, env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A workbook with defined names at Sheet1!B2, B3, ... */
async function workbook(path: string, names: readonly string[]): Promise<void> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Sheet1');
  names.forEach((name, i) => {
    sheet.getCell(`A${i + 2}`).value = name;
    book.definedNames.add(`Sheet1!$B$${i + 2}`, name);
  });
  await book.xlsx.writeFile(path);
}

async function cell(path: string, address: string): Promise<unknown> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(path);
  return book.getWorksheet('Sheet1')?.getCell(address).value;
}

describe('exlab plugins new', () => {
  it('scaffolds a plugin package whose own test command passes and which lints clean', async () => {
    const created = await exlab('new', 'my_plugin', '--dir', sb.root);
    expect(created.code).toBe(0);
    const dir = join(sb.root, 'my_plugin');
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { scripts: { test: string } };
    expect(pkg.scripts.test).toContain('--test');
    const test = await npmTest(dir);
    expect(test.output).toMatch(/pass 2/);
    expect(test.code).toBe(0);
    const lint = await exlab('lint', dir);
    expect(lint.stdout).toContain('0 error(s), 0 warning(s)');
    expect(lint.code).toBe(0);
  });

  it('refuses a bad name and an existing folder with exit 2', async () => {
    expect((await exlab('new', 'my plugin', '--dir', sb.root)).code).toBe(2);
    await mkdir(join(sb.root, 'taken'));
    const taken = await exlab('new', 'taken', '--dir', sb.root);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('already exists');
  });
});

describe('exlab plugins lint', () => {
  it('exits 0 for the bundled plugins', async () => {
    const result = await exlab('lint', EXAMPLE_PLUGINS_DIR, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { plugins: { name: string }[] };
    expect(report.plugins.map((p) => p.name)).toEqual(['hello_plugin', 'xlsx_field_filler']);
  });

  it('exits 1 for warnings only, 2 with --strict, and 2 for errors with code and field in JSON', async () => {
    const low = await plugin(
      'low',
      "name: low\nversion: '1'\nsupported_extensions: ['.txt']\napi_version: '1'\nisolation: {memory_mb: 32}\n",
      HELLO_INDEX,
    );
    expect((await exlab('lint', low)).code).toBe(1);
    expect((await exlab('lint', low, '--strict')).code).toBe(2);

    await cp(join(CORE_FIXTURES, 'manifest_api_2'), join(sb.root, 'plugins', 'api2'), { recursive: true });
    await plugin(
      'no_transform',
      "name: no_transform\nversion: '1'\nsupported_extensions: ['.txt']\napi_version: '1'\n",
      `import { Plugin as Base } from '@exlab/plugin-sdk';\nexport class Plugin extends Base {}\n`,
    );
    const result = await exlab('lint', join(sb.root, 'plugins'), '--json');
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as {
      plugins: { path: string; findings: { severity: string; code: string; field?: string }[] }[];
    };
    const byFolder = Object.fromEntries(report.plugins.map((p) => [p.path.split('/').at(-1), p.findings]));
    expect(byFolder.api2).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'manifest_api_version', field: 'api_version' }),
    );
    expect(byFolder.no_transform).toContainEqual(expect.objectContaining({ severity: 'error', code: 'transform_missing' }));
    expect(byFolder.low).toContainEqual(expect.objectContaining({ severity: 'warn', code: 'manifest_warning' }));
  });

  it('exits 3 when the path is not a directory', async () => {
    const result = await exlab('lint', join(sb.root, 'nope'));
    expect(result.code).toBe(3);
  });
});

describe('exlab plugins exec', () => {
  it('runs a plugin over files and prints what happened to each', async () => {
    const run = join(sb.root, 'run');
    await mkdir(run);
    await writeFile(join(run, 'a.txt'), 'a\n');
    await writeFile(join(run, 'b.csv'), 'b\n');
    const result = await exlab(
      'exec',
      join(EXAMPLE_PLUGINS_DIR, 'hello_plugin'),
      join(run, 'a.txt'),
      join(run, 'b.csv'),
      '--var',
      'operator=me',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('a.txt -> mutated');
    expect(result.stderr).toContain('hello_plugin stamped a file');
    expect(await readFile(join(run, 'a.txt'), 'utf8')).toBe('a\nhello from hello_plugin (operator: me)\n');
  });

  it('changes nothing with --dry-run, and runs with --no-isolation', async () => {
    const file = join(sb.root, 'a.txt');
    await writeFile(file, 'a\n');
    const dry = await exlab('exec', join(EXAMPLE_PLUGINS_DIR, 'hello_plugin'), file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('a\n');
    const bare = await exlab('exec', join(EXAMPLE_PLUGINS_DIR, 'hello_plugin'), file, '--no-isolation');
    expect(bare.code).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('hello from hello_plugin');
  });

  it('answers a prompt from --input, and exits 4 without it leaving the workbook as it was', async () => {
    const book = join(sb.root, 'sheet.xlsx');
    await workbook(book, ['operator', 'batch_no']);
    const before = await readFile(book);
    const filler = join(EXAMPLE_PLUGINS_DIR, 'xlsx_field_filler');
    const missing = await exlab('exec', filler, book, '--var', 'operator=me');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('--input batch_no=');
    expect((await readFile(book)).equals(before)).toBe(true);
    const answered = await exlab('exec', filler, book, '--var', 'operator=me', '--input', 'batch_no=B-7');
    expect(answered.code).toBe(0);
    expect(await cell(book, 'B3')).toBe('B-7');
    expect(await cell(book, 'B2')).toBe('me');
  });

  it('exits 1 when the plugin fails, 2 when it cannot be loaded, 3 for a missing file', async () => {
    const file = join(sb.root, 'a.txt');
    await writeFile(file, 'a\n');
    const failing = await plugin(
      'failing',
      "name: failing\nversion: '1'\nsupported_extensions: ['.txt']\napi_version: '1'\n",
      `import { Plugin as Base, PluginError } from '@exlab/plugin-sdk';\nexport class Plugin extends Base { transform() { throw new PluginError('no sample id'); } }\n`,
    );
    const failed = await exlab('exec', failing, file);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('a.txt -> failed: no sample id');

    const broken = await plugin(
      'broken',
      "name: broken\nversion: '1'\nsupported_extensions: ['.txt']\napi_version: '1'\n",
      'throw new TypeError("boom at import");\n',
    );
    expect((await exlab('exec', broken, file)).code).toBe(2);
    expect((await exlab('exec', join(sb.root, 'no_plugin'), file)).code).toBe(2);
    expect((await exlab('exec', failing, join(sb.root, 'missing.txt'))).code).toBe(3);
  });
});

describe('exlab plugins list', () => {
  it('lists the lab plugins (an example copied in to enable it) and the rejected ones on stderr', async () => {
    await cp(join(EXAMPLE_PLUGINS_DIR, 'hello_plugin'), join(sb.root, 'plugins', 'hello_plugin'), { recursive: true });
    await plugin('lab_one', "name: lab_one\nversion: '2.0'\nsupported_extensions: ['.txt']\napi_version: '1'\n", HELLO_INDEX);
    await cp(join(CORE_FIXTURES, 'manifest_bad_name'), join(sb.root, 'plugins', 'bad'), { recursive: true });
    const config = join(sb.root, 'config.yaml');
    await writeFile(config, `paths:\n  plugin_dir: ${JSON.stringify(join(sb.root, 'plugins'))}\n`);
    const table = await exlab('list', '--config', config);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+VERSION\s+SOURCE/);
    expect(table.stdout).toMatch(/lab_one\s+2\.0\s+lab/);
    expect(table.stdout).toMatch(/hello_plugin\s+0\.1\.0\s+lab/);
    expect(table.stderr).toContain('not loaded');
    const json = await exlab('list', '--config', config, '--json');
    const parsed = JSON.parse(json.stdout) as { plugins: { name: string; source: string }[]; rejected: { code: string }[] };
    expect(parsed.plugins.map((p) => [p.name, p.source])).toEqual([
      ['hello_plugin', 'lab'],
      ['lab_one', 'lab'],
    ]);
    expect(parsed.rejected.map((r) => r.code)).toEqual(['manifest_bad_name']);
  });

  it('exits 2 when the config cannot be found', async () => {
    expect((await exlab('list', '--config', join(sb.root, 'missing.yaml'))).code).toBe(2);
  });
});
