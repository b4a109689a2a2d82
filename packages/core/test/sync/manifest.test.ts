import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareManifests, formatChecksums, localManifest, parseChecksums } from '../../src/sync/index.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-sync-manifest-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const HELLO = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), content);
}

describe('hash manifests (S6)', () => {
  it('hashes every file with POSIX paths, leaving out .exlab-wizard and the skipped top-level folders', async () => {
    await put('a.txt', 'hello');
    await put('deep/b c.dat', '');
    await put('.exlab-wizard/creation.json', '{}');
    await put('Runs/Run_1/x.txt', 'x');
    const manifest = await localManifest(root, ['Runs']);
    expect([...manifest]).toEqual([
      ['a.txt', HELLO],
      ['deep/b c.dat', EMPTY],
    ]);
  });

  it('writes sorted "<hex>  <path>" lines with a trailing newline and reads them back', () => {
    const manifest = new Map([
      ['z.txt', EMPTY],
      ['a.txt', HELLO],
    ]);
    const text = formatChecksums(manifest);
    expect(text).toBe(`${HELLO}  a.txt\n${EMPTY}  z.txt\n`);
    expect(parseChecksums(text)).toEqual(new Map([...manifest].sort()));
  });

  it('reads sha256sum output of absolute paths, escaped names and junk lines', () => {
    const text = [
      `${HELLO}  /nas/lab/run/a.txt`,
      `\\${EMPTY}  /nas/lab/run/odd\\nname`,
      'sha256sum: /nas/lab/run/locked: Permission denied',
      `${HELLO}  /elsewhere/b.txt`,
      '',
    ].join('\n');
    expect(parseChecksums(text, '/nas/lab/run')).toEqual(
      new Map([
        ['a.txt', HELLO],
        ['odd\nname', EMPTY],
      ]),
    );
  });

  it('keeps names that start with a space or a star as written (rclone prints names relative to the folder)', () => {
    expect(parseChecksums(`${HELLO}   notes.txt\n${EMPTY}  *star.txt\n${EMPTY} *binary.bin\n`)).toEqual(
      new Map([
        [' notes.txt', HELLO],
        ['*star.txt', EMPTY],
        ['binary.bin', EMPTY],
      ]),
    );
  });

  it('verifies when every local file is on the NAS with its digest; NAS extras are ignored', () => {
    const local = new Map([['a.txt', HELLO]]);
    expect(compareManifests(local, new Map([...local, ['extra.txt', EMPTY]]))).toEqual({ ok: true, missing: [], differing: [] });
    expect(compareManifests(local, new Map([['a.txt', EMPTY]]))).toEqual({ ok: false, missing: [], differing: ['a.txt'] });
    expect(compareManifests(local, new Map([['b.txt', HELLO]]))).toEqual({ ok: false, missing: ['a.txt'], differing: [] });
  });

  it('never verifies files against an empty NAS side, but an empty folder against one', () => {
    expect(compareManifests(new Map([['a.txt', HELLO]]), new Map()).ok).toBe(false);
    expect(compareManifests(new Map(), new Map()).ok).toBe(true);
  });
});
