import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '@exlab/core/io';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-atomic-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates missing parent folders and writes the content', async () => {
    const target = join(dir, 'a', 'b', '.exlab-wizard', 'creation.json');
    await writeFileAtomic(target, 'hello\n');
    expect(await readFile(target, 'utf8')).toBe('hello\n');
  });

  it('writes bytes exactly as given', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await writeFileAtomic(join(dir, 'bin'), bytes);
    expect(Buffer.compare(await readFile(join(dir, 'bin')), Buffer.from(bytes))).toBe(0);
  });

  it('replaces an existing file', async () => {
    const target = join(dir, 'server.json');
    await writeFile(target, 'old content that is longer than the new one');
    await writeFileAtomic(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it.skipIf(process.platform === 'win32')('gives the file the requested mode', async () => {
    await writeFileAtomic(join(dir, 'secret'), 'x', { mode: 0o600 });
    expect((await stat(join(dir, 'secret'))).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('gives the file mode 0644 by default', async () => {
    await writeFileAtomic(join(dir, 'plain'), 'x');
    expect((await stat(join(dir, 'plain'))).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('leaves no temporary file behind after a successful write', async () => {
    for (let i = 0; i < 5; i += 1) await writeFileAtomic(join(dir, 'f.json'), `${i}`);
    expect(await readdir(dir)).toEqual(['f.json']);
  });

  it('fails when the target is a directory and leaves no temporary file', async () => {
    await mkdir(join(dir, 'taken'));
    await expect(writeFileAtomic(join(dir, 'taken'), 'x')).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|EEXIST|ENOTEMPTY|EPERM)$/),
    });
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readdir(join(dir, 'taken'))).toEqual([]);
  });

  it('fails with ENOENT when parents are missing and mkdirs is false, creating nothing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x', { mkdirs: false })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('creates the file in exclusive mode when it does not exist yet', async () => {
    await writeFileAtomic(join(dir, 'once.json'), 'first', { exclusive: true });
    expect(await readFile(join(dir, 'once.json'), 'utf8')).toBe('first');
    expect(await readdir(dir)).toEqual(['once.json']);
  });

  it('fails with EEXIST in exclusive mode and leaves the original byte-identical with no temporary file', async () => {
    const target = join(dir, 'once.json');
    const original = Buffer.from('{"schema_version":"1.9"}\n\u0000\u00ff');
    await writeFile(target, original);
    const before = sha(await readFile(target));
    await expect(writeFileAtomic(target, 'second', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(sha(await readFile(target))).toBe(before);
    expect(await readdir(dir)).toEqual(['once.json']);
  });

  it('lets exactly one of several concurrent exclusive writers win', async () => {
    const target = join(dir, 'race.json');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => writeFileAtomic(target, `writer ${i}`, { exclusive: true })),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'EEXIST' });
    expect(await readFile(target, 'utf8')).toBe(`writer ${winners[0]}`);
    expect(await readdir(dir)).toEqual(['race.json']);
  });

  it('never shows a concurrent reader a partial file across 300 rewrites', async () => {
    const target = join(dir, 'server.json');
    const version = (i: number): string => `${JSON.stringify({ seq: i, pad: String(i % 10).repeat(64 * 1024 + i) })}\n`;
    const valid = new Map<string, number>();
    for (let i = 0; i <= 300; i += 1) valid.set(sha(version(i)), i);
    await writeFileAtomic(target, version(0));

    let writing = true;
    const seen: number[] = [];
    const bad: string[] = [];
    const reader = (async () => {
      while (writing) {
        const text = await readFile(target, 'utf8');
        const seq = valid.get(sha(text));
        if (seq === undefined) bad.push(text.slice(0, 40));
        else seen.push(seq);
      }
    })();
    for (let i = 1; i <= 300; i += 1) await writeFileAtomic(target, version(i));
    writing = false;
    await reader;

    expect(bad).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await readFile(target, 'utf8')).toBe(version(300));
    expect(await readdir(dir)).toEqual(['server.json']);
  });
});

describe('writeJsonAtomic', () => {
  it('writes two-space indented JSON with a trailing newline', async () => {
    await writeJsonAtomic(join(dir, 'x.json'), { schema_version: '1.0', list: [1, 'a'], nested: { ok: true } });
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe(
      '{\n  "schema_version": "1.0",\n  "list": [\n    1,\n    "a"\n  ],\n  "nested": {\n    "ok": true\n  }\n}\n',
    );
  });

  it('keeps key order as given', async () => {
    await writeJsonAtomic(join(dir, 'x.json'), { z: 1, a: 2 });
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'x.json'), 'utf8')) as object)).toEqual(['z', 'a']);
  });

  it('passes exclusive through to the atomic write', async () => {
    await writeJsonAtomic(join(dir, 'x.json'), { a: 1 }, { exclusive: true });
    await expect(writeJsonAtomic(join(dir, 'x.json'), { a: 2 }, { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe('{\n  "a": 1\n}\n');
  });
});
