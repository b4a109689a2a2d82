import { execFile } from 'node:child_process';
import { APP_DISPLAY_NAME, TIMINGS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { findExecutable } from '@exlab/core/process';
import { systemClock, type Clock } from './clock.js';

/** One OS notification. */
export interface OsNotification {
  /** Always `ExLab-Wizard` (N1). */
  title: string;
  /** The text. */
  body: string;
  /** How long it stays up (10 s). */
  timeoutMs: number;
}

/** Something that shows OS notifications. */
export interface NotificationBackend {
  /** Name for the log (`notify-send`, `osascript`, ...). */
  readonly name: string;
  /** Shows one notification. */
  show(notification: OsNotification): Promise<void>;
}

/** The kinds of notification the tray sends (N1); anything else coalesces as `N <kind> events`. */
export type NotificationKind = 'plugin_input' | 'sync_failed' | (string & {});

/** Options of {@link NotificationCenter}. */
export interface NotificationCenterOptions {
  /** The OS backend; null when none works here (one WARN, then notifications are only logged). */
  backend: NotificationBackend | null;
  /** True while the window is in the foreground: notifications are dropped then (§15.7.3). */
  isForeground?: (() => boolean) | undefined;
  /** Coalescing window (default 5 s, N2). */
  coalesceMs?: number | undefined;
  /** Timer source. */
  clock?: Clock | undefined;
  /** Where notifications and failures are logged. */
  logger?: Logger | undefined;
}

interface Bucket {
  count: number;
  first: string;
  cancel: () => void;
}

/** The message of a coalesced bucket (N2). */
export function coalescedMessage(kind: NotificationKind, count: number, first: string): string {
  if (count <= 1) return first;
  if (kind === 'plugin_input') return `${count} plugins need input`;
  if (kind === 'sync_failed') return `${count} sync failures`;
  return `${count} ${kind} events`;
}

/**
 * OS notifications with per-kind coalescing (§15.7.3, lifecycle.md N1-N2): the first event of a
 * kind starts a 5 s timer; when it fires, one notification says either the original message or
 * the count. Dropped while the window is in the foreground, and dropped at quit.
 */
export class NotificationCenter {
  readonly #options: NotificationCenterOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #buckets = new Map<NotificationKind, Bucket>();
  #warnedNoBackend = false;
  #closed = false;

  constructor(options: NotificationCenterOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? createNullLogger();
  }

  /** A plugin asked for input (N1). */
  pluginNeedsInput(): void {
    this.notify('plugin_input', '1 plugin needs input');
  }

  /** A sync job failed with no retries left (N1). */
  syncFailed(runLabel: string): void {
    this.notify('sync_failed', `Sync failed for ${runLabel}`);
  }

  /** Queues an event of `kind`; the bucket's timer decides what is shown. */
  notify(kind: NotificationKind, message: string): void {
    if (this.#closed) return;
    if (this.#foreground()) {
      this.#log.debug(`notification dropped (window in the foreground): ${message}`);
      return;
    }
    const bucket = this.#buckets.get(kind);
    if (bucket !== undefined) {
      bucket.count += 1;
      return;
    }
    const coalesceMs = this.#options.coalesceMs ?? TIMINGS.notificationCoalesceMs;
    const created: Bucket = { count: 1, first: message, cancel: () => undefined };
    created.cancel = this.#clock.setTimer(coalesceMs, () => this.#flush(kind));
    this.#buckets.set(kind, created);
  }

  /** Pending buckets, by kind (for tests and the status view). */
  pending(): ReadonlyMap<NotificationKind, number> {
    return new Map([...this.#buckets].map(([kind, bucket]) => [kind, bucket.count]));
  }

  /** Drops every pending bucket and refuses new events (Q5: at quit). */
  close(): void {
    this.#closed = true;
    for (const bucket of this.#buckets.values()) bucket.cancel();
    this.#buckets.clear();
  }

  #foreground(): boolean {
    try {
      return this.#options.isForeground?.() === true;
    } catch {
      return false;
    }
  }

  #flush(kind: NotificationKind): void {
    const bucket = this.#buckets.get(kind);
    this.#buckets.delete(kind);
    if (bucket === undefined || this.#closed) return;
    const body = coalescedMessage(kind, bucket.count, bucket.first);
    if (this.#foreground()) {
      this.#log.debug(`notification dropped (window in the foreground): ${body}`);
      return;
    }
    const backend = this.#options.backend;
    if (backend === null) {
      if (!this.#warnedNoBackend) {
        this.#warnedNoBackend = true;
        this.#log.warn('no OS notification backend on this machine; notifications go to the log only');
      }
      this.#log.info(`notification: ${body}`);
      return;
    }
    this.#log.info(`notification: ${body}`);
    backend.show({ title: APP_DISPLAY_NAME, body, timeoutMs: TIMINGS.notificationDisplayMs }).catch((error: unknown) => {
      this.#log.warn(`notification via ${backend.name} failed: ${describeError(error)}`);
    });
  }
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 15_000, windowsHide: true }, (error) => (error ? reject(error) : resolve()));
  });
}

const appleScriptString = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const powershellString = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The OS notification backend of this machine, or null: Linux `notify-send` (libnotify), macOS
 * `osascript display notification`, Windows a PowerShell toast. `env` supplies the PATH searched.
 */
export async function detectNotificationBackend(
  options: { platform?: NodeJS.Platform; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<NotificationBackend | null> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  if (platform === 'darwin') {
    const osascript = await findExecutable('osascript', { env, platform });
    if (osascript === null) return null;
    return {
      name: 'osascript',
      show: (n) => run(osascript, ['-e', `display notification ${appleScriptString(n.body)} with title ${appleScriptString(n.title)}`]),
    };
  }
  if (platform === 'win32') {
    const powershell = await findExecutable('powershell.exe', { env, platform });
    if (powershell === null) return null;
    return {
      name: 'powershell toast',
      show: (n) =>
        run(powershell, [
          '-NoProfile',
          '-NonInteractive',
          '-Command',
          [
            '[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null;',
            '$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02);',
            `$x = $t.GetElementsByTagName('text'); $x.Item(0).InnerText = ${powershellString(n.title)}; $x.Item(1).InnerText = ${powershellString(n.body)};`,
            `[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(${powershellString(n.title)}).Show([Windows.UI.Notifications.ToastNotification]::new($t))`,
          ].join(' '),
        ]),
    };
  }
  const notifySend = await findExecutable('notify-send', { env, platform });
  if (notifySend === null) return null;
  return {
    name: 'notify-send',
    show: (n) => run(notifySend, ['--app-name', n.title, '--expire-time', String(n.timeoutMs), n.title, n.body]),
  };
}
