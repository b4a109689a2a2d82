import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE_NAMES } from '../../src/constants/index.js';
import { ExLabError } from '../../src/errors/index.js';
import {
  readServerInfo,
  removeServerInfoIfOwned,
  removeServerInfoIfOwnedSync,
  writeServerInfo,
  type ServerInfo,
} from '../../src/process/index.js';
import { exited, killAllChildren, lineReader, spawnTracked } from './child-processes.js';

let dir: string;
let serverJson: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-server-json-'));
  serverJson = join(dir, FILE_NAMES.serverJson);
});

afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

function serverInfo(overrides: Partial<ServerInfo> = {}): ServerInfo {
  return {
    port: 43_210,
    pid: process.pid,
    started_at: '2026-04-17T14:32:00Z',
    token: 'per-launch-token',
    pid_start: 'boot:123',
    instance_id: 'inst-a',
    version: '0.1.0',
    mode: 'tray',
    url: 'http://127.0.0.1:43210/',
    state_dir: dir,
    config_path: null,
    ...overrides,
  };
}

describe('writeServerInfo / readServerInfo', () => {
  it('writes server.json with mode 0600 and reads it back with the schema version', async () => {
    await writeServerInfo(serverJson, serverInfo());
    expect(await readServerInfo(serverJson)).toEqual({ schema_version: '1', ...serverInfo() });
    if (process.platform !== 'win32') expect((await stat(serverJson)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([FILE_NAMES.serverJson]);
  });

  it('returns null when server.json does not exist', async () => {
    expect(await readServerInfo(serverJson)).toBeNull();
  });

  it('accepts a file with only the required keys and keeps unknown keys', async () => {
    await writeFile(serverJson, JSON.stringify({ port: 1, pid: 2, started_at: '2026-04-17T14:32:00Z', token: 't', from_the_future: true }));
    expect(await readServerInfo(serverJson)).toMatchObject({ port: 1, pid: 2, token: 't', from_the_future: true });
  });

  it.each([
    ['not JSON', '{"port": 43', ''],
    ['empty', '', ''],
    ['missing the token', JSON.stringify({ port: 1, pid: 2, started_at: '2026-04-17T14:32:00Z' }), 'token'],
    ['a port out of range', JSON.stringify({ port: 70_000, pid: 2, started_at: '2026-04-17T14:32:00Z', token: 't' }), 'port'],
  ])('rejects a server.json that is %s with cache_file_invalid', async (_label, content, field) => {
    await writeFile(serverJson, content);
    const error = await readServerInfo(serverJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({ code: 'cache_file_invalid' });
    if (field !== '') expect((error as ExLabError).field).toBe(field);
  });

  it('does not create a missing state directory', async () => {
    const error = await writeServerInfo(join(dir, 'gone', FILE_NAMES.serverJson), serverInfo()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('never shows a reader partial JSON across 1000 rewrites and leaves no temporary file', async () => {
    await writeServerInfo(serverJson, serverInfo());
    // The reader polls in its own process so reads really overlap the renames.
    const reader = spawnTracked(process.execPath, [
      '-e',
      `
      const fs = require('node:fs');
      const path = process.argv[1];
      let reads = 0, bad = 0, firstBad = null, stop = false;
      process.stdin.resume();
      process.stdin.on('end', () => { stop = true; });
      const poll = () => {
        if (stop) { process.stdout.write(JSON.stringify({ reads, bad, firstBad }) + '\\n'); return; }
        let text = null;
        try {
          text = fs.readFileSync(path, 'utf8');
          const value = JSON.parse(text);
          if (typeof value.port !== 'number' || typeof value.token !== 'string') throw new Error('incomplete');
          reads += 1;
        } catch (error) {
          bad += 1;
          firstBad ??= String(error) + ' ' + String(text);
        }
        setImmediate(poll);
      };
      process.stdout.write('ready\\n');
      poll();
      `,
      serverJson,
    ]);
    const next = lineReader(reader);
    expect(await next()).toBe('ready');

    let last = serverInfo();
    for (let i = 1; i <= 1000; i += 1) {
      // Vary the size so a torn read could not pass for a whole file.
      last = serverInfo({ port: 1024 + i, token: randomBytes(1 + (i % 64)).toString('hex') });
      await writeServerInfo(serverJson, last);
    }
    reader.stdin?.end();
    const report = JSON.parse(await next()) as { reads: number; bad: number; firstBad: string | null };
    await exited(reader);

    expect(report.firstBad).toBeNull();
    expect(report.bad).toBe(0);
    expect(report.reads).toBeGreaterThan(0);
    expect(await readServerInfo(serverJson)).toMatchObject({ port: last.port, token: last.token });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('removeServerInfoIfOwned', () => {
  it('deletes server.json that names our pid and instance id', async () => {
    await writeServerInfo(serverJson, serverInfo());
    expect(await removeServerInfoIfOwned(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves server.json of another instance or another pid byte-identical', async () => {
    await writeServerInfo(serverJson, serverInfo());
    const before = await readFile(serverJson);
    expect(await removeServerInfoIfOwned(serverJson, { pid: process.pid, instance_id: 'inst-b' })).toBe(false);
    expect(await removeServerInfoIfOwned(serverJson, { pid: process.pid + 1, instance_id: 'inst-a' })).toBe(false);
    expect(removeServerInfoIfOwnedSync(serverJson, { pid: process.pid, instance_id: 'inst-b' })).toBe(false);
    expect(await readFile(serverJson)).toEqual(before);
  });

  it('treats a missing or corrupt file as not ours', async () => {
    expect(await removeServerInfoIfOwned(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(false);
    await writeFile(serverJson, '{"pid":');
    expect(await removeServerInfoIfOwned(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(false);
    expect(removeServerInfoIfOwnedSync(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(false);
    expect(await readFile(serverJson, 'utf8')).toBe('{"pid":');
  });

  it('deletes our own server.json synchronously, for exit hooks', async () => {
    await writeServerInfo(serverJson, serverInfo());
    expect(removeServerInfoIfOwnedSync(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(true);
    expect(removeServerInfoIfOwnedSync(serverJson, { pid: process.pid, instance_id: 'inst-a' })).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });
});
