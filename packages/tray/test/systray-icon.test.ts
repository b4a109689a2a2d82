import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createNullLogger } from '@exlab/core/logging';
import { buildTrayMenu, systrayIconFactory, trayIconIco, trayIconPng } from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function helperPids(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('tray icon image', () => {
  it('draws a 32x32 RGBA PNG whose pixels inflate to the declared size', () => {
    const png = trayIconPng();
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(32);
    expect(png.readUInt32BE(20)).toBe(32);
    const idatLength = png.readUInt32BE(33);
    expect(png.toString('latin1', 37, 41)).toBe('IDAT');
    const pixels = inflateSync(png.subarray(41, 41 + idatLength));
    expect(pixels.length).toBe(32 * (1 + 32 * 4));
  });

  it('wraps the PNG in a one-image ICO for Windows', () => {
    const png = trayIconPng();
    const ico = trayIconIco(png);
    expect(ico.readUInt16LE(2)).toBe(1);
    expect(ico.readUInt16LE(4)).toBe(1);
    expect(ico.readUInt32LE(14)).toBe(png.length);
    expect(ico.subarray(22)).toEqual(png);
  });
});

describe('systray icon factory', () => {
  it('installs an executable helper and reports why there is no icon when the helper cannot run, leaving no process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exlab-systray-'));
    dirs.push(dir);
    const logger = createNullLogger();
    // No X server answers on this display, so the helper either fails to load its libraries or to connect.
    const previous = process.env.DISPLAY;
    process.env.DISPLAY = ':97';
    try {
      const made = await systrayIconFactory(dir)((status) => buildTrayMenu(status, { open() {}, quit() {} }, logger), logger);
      if (made.icon !== null) {
        // A desktop that can show the icon after all: it must go away cleanly.
        await made.icon.dispose();
      } else {
        expect(made.reason).toMatch(/tray icon helper (exited|did not report ready)/);
      }
    } finally {
      if (previous === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = previous;
    }
    const helper = join(dir, 'systray', '2.1.4', 'tray_linux_release');
    expect((await stat(helper)).mode & 0o111).not.toBe(0);
    expect(helperPids(dir)).toEqual([]);
  });

  it('has no helper on an unsupported platform and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exlab-systray-'));
    dirs.push(dir);
    const logger = createNullLogger();
    const made = await systrayIconFactory(dir, 'aix')((status) => buildTrayMenu(status, { open() {}, quit() {} }, logger), logger);
    expect(made).toEqual({ icon: null, reason: 'no tray icon helper for aix' });
  });
});
