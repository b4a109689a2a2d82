// The example plugins shipped with the app (§6.5, §6.6), run through the real PluginHost and
// registry over the bundled folder, on temp run folders.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE_PLUGINS_DIR, PluginHost, PluginRegistry, type PluginInputPrompt } from '@exlab/core/plugins';
import { cleanup, pass, passContext, recordingLogger, runFolder, tempDir } from '../plugins/support.js';

afterEach(cleanup);

const hosts: PluginHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.shutdown(0);
});

/** A host over the real bundled plugin folder. */
async function bundledHost(): Promise<{ host: PluginHost; registry: PluginRegistry; logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  const registry = new PluginRegistry({ bundledRoot: EXAMPLE_PLUGINS_DIR, labRoot: null, logger });
  await registry.reload();
  const host = new PluginHost({ registry, logDir: await tempDir('logs'), logger });
  hosts.push(host);
  return { host, registry, logger };
}

/** A workbook whose `Sheet1` has the given defined names at B2, B3, ... and a label in column A. */
async function writeWorkbook(path: string, names: readonly string[]): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Sheet1');
  names.forEach((name, i) => {
    sheet.getCell(`A${i + 2}`).value = name;
    workbook.definedNames.add(`Sheet1!$B$${i + 2}`, name);
  });
  await workbook.xlsx.writeFile(path);
}

/** The value of every defined name of the workbook at `path`. */
async function readNames(path: string): Promise<Record<string, unknown>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const values: Record<string, unknown> = {};
  workbook.definedNames.forEach((name, cell) => {
    values[name] = workbook.getWorksheet(cell.sheetName ?? '')?.getCell(cell.address).value ?? null;
  });
  return values;
}

describe('bundled plugins', () => {
  it('both examples load from the bundled folder with valid manifests', async () => {
    const { registry } = await bundledHost();
    const names = registry.list().map((p) => p.manifest.name);
    expect(names).toEqual(expect.arrayContaining(['hello_plugin', 'xlsx_field_filler']));
  });
});

describe('hello_plugin', () => {
  it('stamps a hello line into .txt and .md files, never README.md, and logs each file', async () => {
    const { host, logger } = await bundledHost();
    const dst = await runFolder({ 'notes.txt': 'first line\n', 'protocol.md': '# Protocol', 'README.md': '# Run\n', 'data.csv': 'a,b\n' });
    const result = await host.runPass({
      ...pass(dst, ['notes.txt', 'protocol.md', 'README.md', 'data.csv']),
      order: ['hello_plugin'],
    });
    const hello = result.applied.find((r) => r.plugin === 'hello_plugin');
    expect(hello?.status).toBe('success');
    expect(hello?.files_affected.sort()).toEqual(['notes.txt', 'protocol.md']);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('first line\nhello from hello_plugin (operator: asmith)\n');
    expect(await readFile(join(dst, 'protocol.md'), 'utf8')).toBe('# Protocol\nhello from hello_plugin (operator: asmith)\n');
    expect(await readFile(join(dst, 'README.md'), 'utf8')).toBe('# Run\n');
    expect(logger.lines.some((l) => l.msg.includes('hello_plugin stamped a file'))).toBe(true);
  });

  it('changes nothing in a dry run', async () => {
    const { host } = await bundledHost();
    const dst = await runFolder({ 'notes.txt': 'x\n' });
    const result = await host.runPass({ ...pass(dst, ['notes.txt']), dryRun: true });
    expect(result.applied.find((r) => r.plugin === 'hello_plugin')?.status).toBe('success');
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('x\n');
  });
});

describe('xlsx_field_filler', () => {
  it('fills every defined name from the variables', async () => {
    const { host } = await bundledHost();
    const dst = await runFolder({});
    const book = join(dst, 'sheet.xlsx');
    await writeWorkbook(book, ['operator', 'project_name', 'sample_count']);
    const result = await host.runPass({
      ...pass(dst, ['sheet.xlsx']),
      context: passContext({ project_name: 'Yeast screen', sample_count: 12 }),
    });
    const record = result.applied.find((r) => r.plugin === 'xlsx_field_filler');
    expect(record?.status).toBe('success');
    expect(record?.files_affected).toEqual(['sheet.xlsx']);
    expect(await readNames(book)).toEqual({ operator: 'asmith', project_name: 'Yeast screen', sample_count: 12 });
  });

  it('asks for a named cell with no variable, and the answer completes the pass', async () => {
    const { host } = await bundledHost();
    const dst = await runFolder({});
    const book = join(dst, 'sheet.xlsx');
    await writeWorkbook(book, ['operator', 'batch_no']);
    const prompts: PluginInputPrompt[] = [];
    const result = await host.runPass({
      ...pass(dst, ['sheet.xlsx']),
      onInputRequired: (prompt) => {
        prompts.push(prompt);
        return Promise.resolve({ batch_no: 'B-77' });
      },
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]?.plugin).toBe('xlsx_field_filler');
    expect(prompts[0]?.fields.map((f) => [f.id, f.label, f.required])).toEqual([['batch_no', 'Batch no', true]]);
    expect(prompts[0]?.reason).toContain('batch_no');
    expect(result.aborted).toBe(false);
    expect(result.applied.find((r) => r.plugin === 'xlsx_field_filler')?.status).toBe('success');
    expect(await readNames(book)).toEqual({ operator: 'asmith', batch_no: 'B-77' });
  });

  it('leaves the workbook byte-identical when the operator cancels the prompt', async () => {
    const { host } = await bundledHost();
    const dst = await runFolder({});
    const book = join(dst, 'sheet.xlsx');
    await writeWorkbook(book, ['operator', 'batch_no']);
    const before = await readFile(book);
    const result = await host.runPass({ ...pass(dst, ['sheet.xlsx']), onInputRequired: () => Promise.resolve(null) });
    expect(result.aborted).toBe(true);
    expect((await readFile(book)).equals(before)).toBe(true);
  });

  it('fails only that file when a workbook cannot be read', async () => {
    const { host } = await bundledHost();
    const dst = await runFolder({});
    await writeFile(join(dst, 'broken.xlsx'), 'not a zip');
    const result = await host.runPass(pass(dst, ['broken.xlsx']));
    const record = result.applied.find((r) => r.plugin === 'xlsx_field_filler');
    expect(record?.status).toBe('failed');
    expect(record?.error).toContain('not a readable .xlsx workbook');
  });
});
