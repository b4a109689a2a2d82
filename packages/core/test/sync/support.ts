// A lab with one equipment whose NAS is a folder, a hand-set clock for back-off tests, and
// wrappers around the real rsync that fail or corrupt the way a network or a NAS would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { ConfigInput, Config, NasTransport } from '../../src/schemas/index.js';
import { afterEach, beforeEach } from 'vitest';
import { NasSync, type NasSyncOptions, type SyncTimers } from '../../src/sync/index.js';
import { LabTree, readmeText } from '../validator/lab-tree.js';

export const EQUIPMENT = 'CONFOCAL_01';
export const RUN_LEAF = 'Run_2026-03-02T09-15';

/** A clock that moves only when told, with the timers the sync worker arms on it. */
export class ManualClock {
  #now: number;
  #nextId = 1;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 2, 2, 9, 30)) {
    this.#now = start;
  }

  /** The clock function to inject. */
  readonly now = (): Date => new Date(this.#now);

  /** The timers to inject. */
  readonly timers: SyncTimers = {
    setTimeout: (callback, ms) => {
      const id = this.#nextId++;
      this.#pending.set(id, { at: this.#now + ms, callback });
      return id;
    },
    clearTimeout: (handle) => {
      this.#pending.delete(handle as number);
    },
  };

  /** Moves the clock on and fires the timers that came due, earliest first. */
  advance(ms: number): void {
    this.#now += ms;
    const due = [...this.#pending].filter(([, timer]) => timer.at <= this.#now).sort(([, a], [, b]) => a.at - b.at);
    for (const [id, timer] of due) {
      this.#pending.delete(id);
      timer.callback();
    }
  }

  /** Milliseconds until the earliest armed timer, or undefined when none is armed. */
  nextTimerIn(): number | undefined {
    const times = [...this.#pending.values()].map((timer) => timer.at - this.#now);
    return times.length === 0 ? undefined : Math.min(...times);
  }
}

/** A temporary lab whose CONFOCAL_01 pushes to `<root>/nas` (a mounted share) unless a transport is given. */
export class SyncLab {
  private constructor(
    readonly tree: LabTree,
    /** The NAS folder of the local transport. */
    readonly nas: string,
    private readonly ownNasRoot: string | null,
  ) {}

  /**
   * A lab whose NAS folder is `<root>/nas`, or, with `otherDisk`, a folder on /dev/shm (another
   * file system, as a mounted share is: the cleanup reaper never removes data whose only other
   * copy is on the same disk).
   */
  static async create(options: { otherDisk?: boolean } = {}): Promise<SyncLab> {
    const tree = await LabTree.create();
    const nasRoot = options.otherDisk ? await mkdtemp(join('/dev/shm', 'exlab-nas-')) : null;
    const lab = new SyncLab(tree, nasRoot === null ? join(tree.root, 'nas') : join(nasRoot, 'nas'), nasRoot);
    await mkdir(lab.nas, { recursive: true });
    return lab;
  }

  get root(): string {
    return this.tree.root;
  }

  get queuePath(): string {
    return join(this.tree.root, 'state', 'sync_queue.db');
  }

  /** Config with CONFOCAL_01's transport (default: the local share) and extra blocks. */
  config(options: { transport?: NasTransport; extra?: Partial<ConfigInput> } = {}): Config {
    const transport = options.transport ?? { type: 'local' as const, path: this.nas };
    const base = this.tree.config();
    return this.tree.config({
      equipment: base.equipment.map((entry) => (entry.id === EQUIPMENT ? { ...entry, transport } : entry)),
      ...options.extra,
    });
  }

  /** A published run with a README, two data files and a creation.json; returns its folder. */
  async run(options: { leaf?: string; project?: string; files?: Record<string, string> } = {}): Promise<string> {
    const project = await this.tree.project(EQUIPMENT, options.project ?? 'Cortex Q3 Pilot');
    const dir = await this.tree.run(project, 'Runs', options.leaf ?? RUN_LEAF);
    await this.tree.file(join(dir, 'README.md'), readmeText());
    const files = options.files ?? { 'data/plate_01.csv': 'well,value\nA1,0.42\n', 'notes.txt': 'baseline\n' };
    for (const [name, content] of Object.entries(files)) await this.tree.file(join(dir, name), content);
    return dir;
  }

  /** Where a run of CONFOCAL_01 lands on the local NAS: the local layout mirrored. */
  nasCopyOf(runDir: string): string {
    return join(this.nas, runDir.slice(this.tree.lab.length + 1));
  }

  /** A shell script in the lab's bin folder; returns its path. */
  async script(name: string, body: string): Promise<string> {
    const path = join(this.tree.root, 'bin', name);
    await mkdir(join(this.tree.root, 'bin'), { recursive: true });
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  async cleanup(): Promise<void> {
    await this.tree.cleanup();
    if (this.ownNasRoot !== null) await rm(this.ownNasRoot, { recursive: true, force: true });
  }
}

/** The sync_status recorded in a folder's creation.json. */
export async function syncStatusOf(dir: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, '.exlab-wizard', 'creation.json'), 'utf8')) as { sync_status: string }).sync_status;
}

/** A real sshd on 127.0.0.1 (a free port), accepting one client key for the current user. */
export interface LoopbackSshd {
  port: number;
  user: string;
  clientKey: string;
  /** ssh options that trust this server's host key without touching ~/.ssh. */
  sshOptions: string[];
  stop(): Promise<void>;
}

/** Whether a loopback sshd can be started here (root, and Debian's openssh-server installed). */
export async function canRunSshd(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return readFile('/usr/sbin/sshd').then(
    () => true,
    () => false,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

/** Starts sshd in the foreground with its own host key, config and authorized key; resolves once it listens. */
export async function startSshd(dir: string): Promise<LoopbackSshd> {
  await mkdir(dir, { recursive: true });
  await mkdir('/run/sshd', { recursive: true });
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`));
  for (let attempt = 0; ; attempt += 1) {
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'LogLevel INFO',
    ].join('\n');
    await writeFile(join(dir, 'sshd_config'), `${config}\n`);
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const listening = await new Promise<boolean>((resolve) => {
      let said = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        said += chunk;
        if (said.includes('Server listening')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (!listening) {
      if (attempt < 3) continue;
      throw new Error('sshd did not start on loopback');
    }
    return {
      port,
      user: userInfo().username,
      clientKey,
      sshOptions: ['-p', String(port), '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new'],
      stop: () => stopChild(child),
    };
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A test file's lab, hand-set clock and open queues: a fresh lab before each test, every queue stopped and the lab removed after it. */
export interface SyncTestBed {
  readonly lab: SyncLab;
  readonly clock: ManualClock;
  /** Opens a NasSync on the lab's queue with the test clock (stopped after the test); `start` also starts its worker. */
  open(config: Config | (() => Config), options?: Partial<NasSyncOptions> & { start?: boolean }): Promise<NasSync>;
  /** Stops a queue opened by {@link open} before the test ends (a restart of the tray, say). */
  close(sync: NasSync): Promise<void>;
}

/** Registers the hooks of a {@link SyncTestBed} in the calling test file. */
export function syncTestBed(labOptions: { otherDisk?: boolean } = {}): SyncTestBed {
  let lab: SyncLab | undefined;
  let clock = new ManualClock();
  const opened: NasSync[] = [];
  beforeEach(async () => {
    lab = await SyncLab.create(labOptions);
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const sync of opened.splice(0)) await sync.stop();
    await lab?.cleanup();
  });
  return {
    get lab(): SyncLab {
      if (lab === undefined) throw new Error('the sync lab exists only inside a test');
      return lab;
    },
    get clock(): ManualClock {
      return clock;
    },
    async open(config, options = {}) {
      const { start = false, ...rest } = options;
      const getConfig = typeof config === 'function' ? config : () => config;
      const sync = await NasSync.open({ queuePath: this.lab.queuePath, getConfig, clock: clock.now, timers: clock.timers, ...rest });
      opened.push(sync);
      if (start) sync.start();
      return sync;
    },
    async close(sync) {
      opened.splice(opened.indexOf(sync), 1);
      await sync.stop(0);
    },
  };
}
