// hello_plugin: the smallest useful plugin (spec §6.5). It stamps one line into each .txt/.md
// file of the run folder and logs through ctx.logger. Copy this folder to start your own plugin.
import { appendFile, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Plugin as BasePlugin } from '@exlab/plugin-sdk';

/** The line written into a file; it names the operator when the creation has one. */
export function helloLine(variables) {
  const operator = typeof variables.operator === 'string' && variables.operator !== '' ? variables.operator : 'unknown';
  return `hello from hello_plugin (operator: ${operator})`;
}

export class Plugin extends BasePlugin {
  preTransformAll(ctx, files) {
    ctx.logger.info('hello_plugin starting', { files: files.length, dst_root: ctx.dst_root });
  }

  // Editors' lock and backup files are not worth stamping.
  canHandle(file) {
    const name = basename(file);
    return !name.startsWith('~$') && !name.startsWith('.#');
  }

  async transform(file, ctx) {
    const line = helloLine(ctx.variables);
    const text = await readFile(file, 'utf8');
    // Idempotent: a resumed pass may hand the same file again (§6.4).
    if (text.split('\n').includes(line)) {
      ctx.logger.debug('already stamped', { file });
      return [];
    }
    await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
    ctx.logger.info('hello_plugin stamped a file', { file, operator: ctx.variables.operator ?? null });
    return [{ path: file, kind: 'modify', summary: `appended "${line}"` }];
  }

  describeChanges(file, ctx) {
    return [{ path: file, kind: 'modify', summary: `would append "${helloLine(ctx.variables)}"` }];
  }
}
