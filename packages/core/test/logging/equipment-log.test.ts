import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_TRUNCATION_MARKER } from '../../src/constants/index.js';
import { appendEquipmentLog, createLogger, equipmentLogPath, withLogContext } from '../../src/logging/index.js';

const time = new Date('2026-04-17T14:32:00Z');

describe('equipment-scoped log', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-equip-log-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives at <dir>/.exlab-wizard/wizard.<real hostname>.log', () => {
    expect(equipmentLogPath(join(dir, 'CONFOCAL_01'))).toBe(join(dir, 'CONFOCAL_01', '.exlab-wizard', `wizard.${hostname()}.log`));
    expect(equipmentLogPath('/lab/E', 'labpc-04')).toBe(join('/lab/E', '.exlab-wizard', 'wizard.labpc-04.log'));
  });

  it('creates the directory and appends formatted lines with the host tag', async () => {
    const equip = join(dir, 'CONFOCAL_01');
    const first = await appendEquipmentLog(
      equip,
      { level: 'INFO', tags: { equip: 'CONFOCAL_01' }, msg: 'probe ok', time },
      { hostname: 'labpc-04' },
    );
    await appendEquipmentLog(equip, { level: 'WARNING', tags: { equip: 'CONFOCAL_01' }, msg: 'slow', time }, { hostname: 'labpc-04' });
    expect(first).toEqual({ ok: true, path: equipmentLogPath(equip, 'labpc-04') });
    expect(await readFile(equipmentLogPath(equip, 'labpc-04'), 'utf8')).toBe(
      '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] [equip:CONFOCAL_01] probe ok\n2026-04-17T14:32:00Z [WARN ] [host:labpc-04] [equip:CONFOCAL_01] slow\n',
    );
  });

  it('takes tags from the ambient context and redacts the message', async () => {
    await withLogContext({ equip: 'E1', proj: 'PROJ-0042' }, () =>
      appendEquipmentLog(dir, { level: 'INFO', tags: { run: 'Run_1' }, msg: 'push rsync://u:pw@nas', time }, { hostname: 'h' }),
    );
    expect(await readFile(equipmentLogPath(dir, 'h'), 'utf8')).toBe(
      '2026-04-17T14:32:00Z [INFO ] [host:h] [equip:E1] [proj:PROJ-0042] [run:Run_1] push rsync://u:***@nas\n',
    );
  });

  it('cuts a long line to 1024 bytes plus the newline', async () => {
    await appendEquipmentLog(dir, { level: 'INFO', msg: 'é'.repeat(2000), time }, { hostname: 'h' });
    const content = await readFile(equipmentLogPath(dir, 'h'), 'utf8');
    expect(Buffer.byteLength(content.trimEnd(), 'utf8')).toBeLessThanOrEqual(1024);
    expect(content.endsWith(`${LOG_TRUNCATION_MARKER}\n`)).toBe(true);
  });

  it('keeps 50 concurrent appends as 50 intact lines', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        appendEquipmentLog(dir, {
          level: i % 2 === 0 ? 'INFO' : 'ERROR',
          tags: { equip: 'E' },
          msg: `event ${i} ${'z'.repeat(900)}`,
          time,
        }),
      ),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    const lines = (await readFile(equipmentLogPath(dir), 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(50);
    const pattern = new RegExp(
      `^2026-04-17T14:32:00Z \\[(INFO |ERROR)\\] \\[host:${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] \\[equip:E\\] event (\\d+) z{900}$`,
    );
    const seen = lines.map((line) => Number(pattern.exec(line)?.[2]));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('returns a failure and logs a warning instead of throwing when the write fails', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const chunks: string[] = [];
    const stderr = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({ hostname: 'h', stderr, clock: () => time });
    const result = await appendEquipmentLog(blocker, { level: 'INFO', msg: 'x', time }, { hostname: 'h', logger });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(/ENOTDIR|EEXIST/);
    expect(chunks.join('')).toMatch(/^2026-04-17T14:32:00Z \[WARN \] \[host:h\] cannot append to the equipment log .*\n$/);
    await logger.close();
  });
});
