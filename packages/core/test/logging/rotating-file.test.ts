import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingFileSink } from '../../src/logging/index.js';

const MIB = 1024 * 1024;

describe('RotatingFileSink', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-rotate-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates its directory and appends lines in order', async () => {
    const path = join(dir, 'nested', 'logs', 'app.log');
    const sink = new RotatingFileSink({ path });
    for (let i = 0; i < 100; i += 1) sink.write(`line ${i}`);
    await sink.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
  });

  it('keeps exactly app.log, app.log.1 and app.log.2 after 5 MiB with max 1 MiB and keep 2', async () => {
    const path = join(dir, 'app.log');
    const sink = new RotatingFileSink({ path, maxBytes: MIB, keep: 2 });
    const line = 'x'.repeat(1023); // 1 KiB with the newline
    for (let i = 0; i < 5 * 1024; i += 1) sink.write(line);
    await sink.close();
    expect((await readdir(dir)).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    for (const name of ['app.log', 'app.log.1', 'app.log.2']) {
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(MIB);
    }
  });

  it('shifts rotated files up so app.log.1 holds the newest and drops the one past keep', async () => {
    const path = join(dir, 'app.log');
    // Ten bytes a line and twenty a file: two lines per file.
    const sink = new RotatingFileSink({ path, maxBytes: 20, keep: 2 });
    for (const word of ['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc', 'ddddddddd', 'eeeeeeeee', 'fffffffff', 'ggggggggg', 'hhhhhhhhh'])
      sink.write(word);
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe('ggggggggg\nhhhhhhhhh\n');
    expect(await readFile(`${path}.1`, 'utf8')).toBe('eeeeeeeee\nfffffffff\n');
    expect(await readFile(`${path}.2`, 'utf8')).toBe('ccccccccc\nddddddddd\n');
    expect((await readdir(dir)).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
  });

  it('writes a line longer than maxBytes into an empty file rather than rotating forever', async () => {
    const path = join(dir, 'app.log');
    const sink = new RotatingFileSink({ path, maxBytes: 5, keep: 1 });
    sink.write('much longer than five');
    sink.write('again too long');
    await sink.close();
    expect(await readFile(`${path}.1`, 'utf8')).toBe('much longer than five\n');
    expect(await readFile(path, 'utf8')).toBe('again too long\n');
  });

  it('continues an existing file and counts its size toward rotation', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'old-line1\n');
    const sink = new RotatingFileSink({ path, maxBytes: 20, keep: 1 });
    sink.write('new-line1');
    sink.write('new-line2');
    await sink.close();
    expect(await readFile(`${path}.1`, 'utf8')).toBe('old-line1\nnew-line1\n');
    expect(await readFile(path, 'utf8')).toBe('new-line2\n');
  });

  it('reports an unusable directory once through onFailure and never throws', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    const failures: unknown[] = [];
    const sink = new RotatingFileSink({ path: join(blocker, 'logs', 'app.log'), onFailure: (error) => failures.push(error) });
    sink.write('one');
    await sink.flush();
    sink.write('two');
    sink.write('three');
    await sink.close();
    expect(failures).toHaveLength(1);
    expect(sink.failed).toBe(true);
  });

  it('ignores writes after close', async () => {
    const path = join(dir, 'app.log');
    const sink = new RotatingFileSink({ path });
    sink.write('before');
    await sink.close();
    sink.write('after');
    await sink.flush();
    expect(await readFile(path, 'utf8')).toBe('before\n');
  });
});
