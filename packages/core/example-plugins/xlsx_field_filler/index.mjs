// xlsx_field_filler: the worked example of spec §6.6. Fills the defined names (named cells) of
// .xlsx workbooks with the creation's variables; a name it cannot resolve is asked for with
// PluginInputRequired, and nothing is written to a workbook until every name has a value, so a
// cancelled prompt leaves the file as it was.
import { basename } from 'node:path';
import ExcelJS from 'exceljs';
import { Plugin as BasePlugin, PluginError, PluginInputRequired } from '@exlab/plugin-sdk';

/** Names Excel defines for itself (print areas, filters); never filled. */
const BUILT_IN_NAME = /^_xlnm\./i;

/** The cells each defined name of `workbook` refers to, keyed by name. */
function namedCells(workbook) {
  const cells = new Map();
  workbook.definedNames.forEach((name, cell) => {
    if (BUILT_IN_NAME.test(name)) return;
    const list = cells.get(name) ?? [];
    list.push({ sheet: cell.sheetName, address: cell.address });
    cells.set(name, list);
  });
  return cells;
}

/** The value for `name`: an answer to an earlier prompt, else the variable (names match case-insensitively). */
function lookup(name, ctx) {
  for (const source of [ctx.extra_inputs ?? {}, ctx.variables]) {
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : source[key];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

/** A value a cell can hold: numbers, booleans and dates as they are, anything else as text. */
function cellValue(value) {
  if (typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Human label of a name: `sample_type` -> `Sample type`. */
function labelOf(name) {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Reads `file` and splits its names into writable (name, cells, value) and missing names. */
async function plan(file, ctx) {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (error) {
    throw new PluginError(`${basename(file)} is not a readable .xlsx workbook: ${error instanceof Error ? error.message : String(error)}`);
  }
  const writable = [];
  const missing = [];
  for (const [name, cells] of namedCells(workbook)) {
    const value = lookup(name, ctx);
    if (value === undefined) missing.push(name);
    else writable.push({ name, cells, value: cellValue(value) });
  }
  return { workbook, writable, missing };
}

export class Plugin extends BasePlugin {
  preTransformAll(ctx, files) {
    ctx.logger.info('xlsx_field_filler starting', { workbooks: files.length, resumed: ctx.extra_inputs !== null });
  }

  // Excel's lock files (~$name.xlsx) sit beside open workbooks and are not workbooks.
  canHandle(file) {
    return !basename(file).startsWith('~$');
  }

  async transform(file, ctx) {
    const { workbook, writable, missing } = await plan(file, ctx);
    if (missing.length > 0) {
      throw new PluginInputRequired(
        missing.map((name) => ({ id: name, label: labelOf(name), type: 'string', required: true })),
        `${basename(file)} has ${missing.length} named cell(s) with no value in the creation's variables: ${missing.join(', ')}.`,
      );
    }
    if (writable.length === 0) {
      ctx.logger.debug('no defined names; workbook left as is', { file });
      return [];
    }
    const changes = [];
    for (const { name, cells, value } of writable) {
      for (const { sheet, address } of cells) {
        const worksheet = workbook.getWorksheet(sheet);
        if (worksheet === undefined) throw new PluginError(`${basename(file)}: the name ${name} points at a missing sheet "${sheet}"`);
        worksheet.getCell(address).value = value;
        changes.push({ path: file, kind: 'modify', summary: `${sheet}!${address} (${name}) = ${String(value)}` });
      }
    }
    await workbook.xlsx.writeFile(file);
    ctx.logger.info('xlsx_field_filler filled named cells', { file, cells: changes.length });
    return changes;
  }

  async describeChanges(file, ctx) {
    const { writable, missing } = await plan(file, ctx);
    const changes = writable.flatMap(({ name, cells, value }) =>
      cells.map(({ sheet, address }) => ({
        path: file,
        kind: 'modify',
        summary: `would set ${sheet}!${address} (${name}) = ${String(value)}`,
      })),
    );
    for (const name of missing) changes.push({ path: file, kind: 'modify', summary: `would ask for ${name}` });
    return changes;
  }
}
