import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmod, copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { APP_DISPLAY_NAME } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import type { Logger } from '@exlab/core/logging';
import type { TrayIcon, TrayIconFactory, TrayMenuItem } from './tray-icon.js';

/** The systray2 surface this module uses (its CommonJS export, typed loosely so a missing package is a reason, not a crash). */
interface SysTrayItem {
  title: string;
  tooltip: string;
  enabled?: boolean;
}
interface SysTrayInstance {
  ready(): Promise<void>;
  onClick(listener: (event: { item: SysTrayItem; seq_id: number }) => void): Promise<unknown>;
  onError(listener: (error: Error) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  sendAction(action: { type: 'update-item'; item: SysTrayItem; seq_id: number }): Promise<unknown>;
  kill(exitNode?: boolean): Promise<void>;
  readonly killed: boolean;
  readonly process: ChildProcess | null;
}
type SysTrayClass = new (conf: {
  menu: { icon: string; title: string; tooltip: string; items: SysTrayItem[]; isTemplateIcon?: boolean };
  debug?: boolean;
  copyDir?: string;
}) => SysTrayInstance;

/** How long the helper binary may take to report ready before the tray gives up on an icon. */
const READY_TIMEOUT_MS = 5_000;

/** Brand navy and gold (DESIGN.md `--color-navy`, `--color-gold`). */
const NAVY = [0x00, 0x36, 0x60] as const;
const GOLD = [0xfe, 0xbc, 0x11] as const;

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A 32x32 PNG of the app mark (a navy rounded square with a gold bar), drawn here so no image asset ships. */
export function trayIconPng(size = 32): Buffer {
  const rows: Buffer[] = [];
  const radius = size / 5;
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x += 1) {
      // Rounded corners: transparent outside a circle of `radius` at each corner.
      const cx = x < radius ? radius : x >= size - radius ? size - radius - 1 : x;
      const cy = y < radius ? radius : y >= size - radius ? size - radius - 1 : y;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
      const bar = y >= size * 0.62 && y < size * 0.75 && x >= size * 0.2 && x < size * 0.8;
      const [r, g, b] = bar ? GOLD : NAVY;
      row.set([r, g, b, inside ? 255 : 0], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The PNG wrapped in an ICO container (Windows tray icons are .ico; ICO may embed a PNG). */
export function trayIconIco(png: Buffer, size = 32): Buffer {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(size, 6);
  header.writeUInt8(size, 7);
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, png]);
}

const require = createRequire(import.meta.url);

function loadSysTray(): SysTrayClass | string {
  try {
    const loaded = require('systray2') as { default?: SysTrayClass } | SysTrayClass;
    return typeof loaded === 'function' ? loaded : (loaded.default ?? 'the systray2 module has no default export');
  } catch (error) {
    return `systray2 could not be loaded (${describeError(error)})`;
  }
}

const HELPER_BINARIES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'tray_linux_release',
  darwin: 'tray_darwin_release',
  win32: 'tray_windows_release.exe',
};

/**
 * Copies systray2's helper for this OS to `<copyDir>/<version>/`, executable, where systray2
 * looks first. systray2's own copy never sets the mode (its chmod('+x') fails silently on
 * current Node), so the helper would not start. Returns a reason when there is no helper.
 */
async function installHelper(copyDir: string, platform: NodeJS.Platform): Promise<string | null> {
  const binary = HELPER_BINARIES[platform];
  if (binary === undefined) return `no tray icon helper for ${platform}`;
  try {
    const pkgFile = require.resolve('systray2/package.json');
    const { version } = JSON.parse(await readFile(pkgFile, 'utf8')) as { version: string };
    const target = join(copyDir, version, binary);
    const installed = await stat(target).catch(() => null);
    if (installed !== null && (installed.mode & 0o111) !== 0) return null;
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    await copyFile(join(dirname(pkgFile), 'traybin', binary), temporary);
    await chmod(temporary, 0o755);
    await rename(temporary, target);
    return null;
  } catch (error) {
    return `the tray icon helper could not be installed (${describeError(error)})`;
  }
}

function toItems(menu: readonly TrayMenuItem[]): { items: SysTrayItem[]; actions: ((() => void) | null)[] } {
  const items: SysTrayItem[] = [];
  const actions: ((() => void) | null)[] = [];
  for (const entry of menu) {
    if (entry.kind === 'separator') items.push({ title: '<SEPARATOR>', tooltip: '', enabled: true });
    else if (entry.kind === 'status') items.push({ title: entry.label, tooltip: entry.label, enabled: false });
    else items.push({ title: entry.label, tooltip: entry.label, enabled: true });
    actions.push(entry.kind === 'action' ? entry.run : null);
  }
  return { items, actions };
}

/**
 * A tray icon factory backed by systray2's helper binary (Go, one per OS), copied into
 * `helperDir` so the package's own files are never made executable in place. Any failure (no
 * binary for this OS, missing desktop libraries, the helper dying) is a reason, never a crash: the
 * tray then runs window-only (T8).
 */
export function systrayIconFactory(helperDir: string, platform: NodeJS.Platform = process.platform): TrayIconFactory {
  return async (menuFor, logger: Logger) => {
    const SysTray = loadSysTray();
    if (typeof SysTray === 'string') return { icon: null, reason: SysTray };
    const copyDir = join(helperDir, 'systray');
    const notInstalled = await installHelper(copyDir, platform);
    if (notInstalled !== null) return { icon: null, reason: notInstalled };
    const png = trayIconPng();
    const icon = (platform === 'win32' ? trayIconIco(png) : png).toString('base64');
    const built = toItems(menuFor('starting'));
    let actions = built.actions;
    let tray: SysTrayInstance;
    try {
      tray = new SysTray({
        menu: { icon, title: '', tooltip: APP_DISPLAY_NAME, items: built.items, isTemplateIcon: false },
        copyDir,
      });
    } catch (error) {
      return { icon: null, reason: `the tray icon helper could not start (${describeError(error)})` };
    }
    let failure: string | null = null;
    // systray2 spawns its helper asynchronously (tray.process is null until then), and its ready()
    // never settles when the helper dies first: race it against the helper's exit and a timeout.
    const ready = tray.ready().then(
      () => 'ready' as const,
      (error: unknown) => {
        failure = describeError(error);
        return 'exited' as const;
      },
    );
    let settled = false;
    const exited = new Promise<'exited'>((resolve) => {
      const attach = (): void => {
        const child = tray.process;
        if (child === null || child === undefined) {
          if (!settled) setTimeout(attach, 20);
          return;
        }
        const exitedWith = (code: number | null, signal: string | null): void => {
          failure ??= `code ${code ?? '-'}, signal ${signal ?? '-'}`;
          resolve('exited');
        };
        if (child.exitCode !== null || child.signalCode !== null) exitedWith(child.exitCode, child.signalCode);
        else child.once('exit', exitedWith);
      };
      attach();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
    });
    const started = await Promise.race([ready, exited, timeout]);
    settled = true;
    clearTimeout(timer);
    if (started !== 'ready') {
      // A helper that reports ready after we gave up is stopped then.
      void ready.then((state) => (state === 'ready' ? tray.kill(false) : undefined)).catch(() => undefined);
      if (tray.process && tray.process.exitCode === null) tray.process.kill('SIGKILL');
      return {
        icon: null,
        reason: `the tray icon helper ${started === 'timeout' ? `did not report ready within ${READY_TIMEOUT_MS / 1000} s` : `exited (${failure ?? 'no reason given'})`}`,
      };
    }
    let disposed = false;
    tray.onError((error) => logger.warn(`tray icon helper error: ${describeError(error)}`));
    tray.onExit((code, signal) => {
      if (!disposed)
        logger.warn(`tray icon helper exited (code ${code ?? '-'}, signal ${signal ?? '-'}); the icon is gone, the app keeps running`);
    });
    void tray.onClick((event) => actions[event.seq_id]?.());
    const trayIcon: TrayIcon = {
      setStatus(label) {
        const next = toItems(menuFor(label));
        actions = next.actions;
        next.items.forEach((item, index) => {
          if (item.enabled === false) void tray.sendAction({ type: 'update-item', item, seq_id: index }).catch(() => undefined);
        });
      },
      async dispose() {
        disposed = true;
        if (!tray.killed) await tray.kill(false).catch(() => undefined);
      },
    };
    return { icon: trayIcon };
  };
}
