import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, createNullLogger, type Logger, type LoggerOptions, withLogContext } from '../../src/logging/index.js';

const fixedClock = (): Date => new Date('2026-04-17T14:32:00Z');

/** A writable that keeps what is written, standing in for stderr. */
function captureStream(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
  };
}

describe('createLogger', () => {
  let dir: string;
  let appLogPath: string;
  let loggers: Logger[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-logger-'));
    appLogPath = join(dir, 'logs', 'app.log');
    loggers = [];
  });

  afterEach(async () => {
    await Promise.all(loggers.map((logger) => logger.close()));
    await rm(dir, { recursive: true, force: true });
  });

  function make(options: LoggerOptions = {}): { logger: Logger; stderr: () => string[] } {
    const capture = captureStream();
    const logger = createLogger({ appLogPath, hostname: 'labpc-04', clock: fixedClock, stderr: capture.stream, ...options });
    loggers.push(logger);
    return { logger, stderr: capture.lines };
  }

  async function appLogLines(logger: Logger): Promise<string[]> {
    await logger.flush();
    return (await readFile(appLogPath, 'utf8')).split('\n').filter((line) => line !== '');
  }

  it('writes the L1 line format to app.log with the host tag', async () => {
    const { logger } = make();
    logger.child({ equip: 'CONFOCAL_01' }).info('probe ok');
    expect(await appLogLines(logger)).toEqual(['2026-04-17T14:32:00Z [INFO ] [host:labpc-04] [equip:CONFOCAL_01] probe ok']);
  });

  it('defaults the host tag to the real hostname', async () => {
    const capture = captureStream();
    const logger = createLogger({ appLogPath, clock: fixedClock, stderr: capture.stream });
    loggers.push(logger);
    logger.info('hello');
    expect(await appLogLines(logger)).toEqual([`2026-04-17T14:32:00Z [INFO ] [host:${hostname()}] hello`]);
  });

  it('drops lines below the level and applies setLevel live to the root and its children', async () => {
    const { logger } = make({ level: 'WARN' });
    const child = logger.child({ component: 'lims' });
    expect(logger.level).toBe('WARN');
    child.info('hidden info');
    child.warn('shown warn');
    logger.setLevel('DEBUG');
    expect(child.level).toBe('DEBUG');
    child.debug('shown debug');
    child.setLevel('ERROR');
    logger.warn('hidden warn');
    logger.error('shown error');
    expect((await appLogLines(logger)).map((line) => line.slice(21))).toEqual([
      '[WARN ] [host:labpc-04] [component:lims] shown warn',
      '[DEBUG] [host:labpc-04] [component:lims] shown debug',
      '[ERROR] [host:labpc-04] shown error',
    ]);
  });

  it('defaults to INFO', async () => {
    const { logger } = make();
    expect(logger.level).toBe('INFO');
    logger.debug('hidden');
    logger.info('shown');
    expect(await appLogLines(logger)).toHaveLength(1);
  });

  it('writes WARN and above to stderr as well, and INFO only to app.log', async () => {
    const { logger, stderr } = make();
    logger.info('quiet');
    logger.warn('loud');
    logger.error('louder');
    expect(await appLogLines(logger)).toHaveLength(3);
    expect(stderr()).toEqual(['2026-04-17T14:32:00Z [WARN ] [host:labpc-04] loud', '2026-04-17T14:32:00Z [ERROR] [host:labpc-04] louder']);
  });

  it('writes nothing to stderr when stderrLevel is off', async () => {
    const { logger, stderr } = make({ stderrLevel: 'off' });
    logger.error('file only');
    expect(await appLogLines(logger)).toHaveLength(1);
    expect(stderr()).toEqual([]);
  });

  it('combines context tags and child bindings in the fixed order, the child winning on a clash', async () => {
    const { logger } = make({ component: 'controller' });
    const child = logger.child({ run: 'Run_A' }).child({ plugin: 'xlsx', worker: 99 });
    await withLogContext({ trace: 't-9', kind: 'experimental', equip: 'CONFOCAL_01', run: 'Run_ctx' }, async () => {
      child.info('applied');
    });
    expect(await appLogLines(logger)).toEqual([
      '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] [equip:CONFOCAL_01] [kind:experimental] [run:Run_A] [component:controller] [plugin:xlsx][worker:99] [trace:t-9] applied',
    ]);
  });

  it('keeps the tags of concurrent tasks apart', async () => {
    const { logger } = make();
    const task = (equip: string) =>
      withLogContext({ equip }, async () => {
        for (let i = 0; i < 3; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          logger.info(`from ${equip}`);
        }
      });
    await Promise.all([task('A'), task('B')]);
    const lines = await appLogLines(logger);
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toMatch(/\[equip:(A|B)\] from \1$/);
  });

  it('redacts secrets in messages and fields', async () => {
    const { logger } = make();
    logger.info('GET https://alice:pw@lims.example/api', { header: 'Authorization: Bearer abc' });
    expect(await appLogLines(logger)).toEqual([
      '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] GET https://alice:***@lims.example/api header="Authorization: ***"',
    ]);
  });

  it('renders fields after the message and keeps multi-line text on one line', async () => {
    const { logger } = make();
    logger.info('done', {
      count: 3,
      ok: true,
      name: 'plain',
      text: 'two words',
      nothing: undefined,
      err: new Error('boom\nagain'),
      obj: { a: 1 },
    });
    logger.info('100%s literal');
    const prefix = '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] ';
    expect((await appLogLines(logger)).map((line) => line.slice(prefix.length))).toEqual([
      'done count=3 ok=true name=plain text="two words" err="boom\\nagain" obj={"a":1}',
      '100%s literal',
    ]);
  });

  it('rotates app.log by the given size', async () => {
    const { logger } = make({ maxBytes: 1024, keep: 2 });
    for (let i = 0; i < 100; i += 1) logger.info('x'.repeat(100));
    await logger.flush();
    expect((await readdir(join(dir, 'logs'))).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
  });

  it('falls back to stderr with one WARN when the log directory is unwritable, without throwing', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const { logger, stderr } = make({ appLogPath: join(blocker, 'logs', 'app.log') });
    expect(() => {
      for (let i = 0; i < 5; i += 1) logger.info(`info ${i}`);
    }).not.toThrow();
    await logger.flush();
    logger.info('after failure');
    logger.warn('still reported');
    await expect(logger.flush()).resolves.toBeUndefined();
    await expect(logger.close()).resolves.toBeUndefined();
    const lines = stderr();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^2026-04-17T14:32:00Z \[WARN \] \[host:labpc-04\] \[component:logging\] cannot write the app log .*logging to stderr only$/,
    );
    expect(lines[1]).toBe('2026-04-17T14:32:00Z [WARN ] [host:labpc-04] still reported');
  });

  it('writes to stderr only when no app log path is given', async () => {
    const capture = captureStream();
    const logger = createLogger({ hostname: 'h', clock: fixedClock, stderr: capture.stream });
    logger.info('nowhere');
    logger.error('stderr');
    await logger.close();
    expect(capture.lines()).toEqual(['2026-04-17T14:32:00Z [ERROR] [host:h] stderr']);
  });
});

describe('createNullLogger', () => {
  it('discards everything and still tracks its level', async () => {
    const logger = createNullLogger();
    expect(logger.level).toBe('INFO');
    logger.child({ equip: 'E' }).error('gone');
    logger.child({}).setLevel('DEBUG');
    expect(logger.level).toBe('DEBUG');
    await expect(logger.flush()).resolves.toBeUndefined();
    await expect(logger.close()).resolves.toBeUndefined();
  });
});
