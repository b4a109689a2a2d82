import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionHandleSchema } from '@exlab/core/schemas';
import { EQUIPMENT_ID, createTestLab, installPlugins, listTree, type TestLab } from '../../controller/test/support/lab.js';
import { CLI_MAIN, killAndWait, runExlab, sandbox, startForeground, type ForegroundTray, type Sandbox } from './exlab-process.js';

// `exlab create` runs the built CLI (the test task builds first), on a temporary lab.

const PROJECT = 'Cortex Q3 Pilot';

let sb: Sandbox;
let lab: TestLab;
const trays: ForegroundTray[] = [];

beforeEach(async () => {
  sb = await sandbox();
  lab = await createTestLab();
});

afterEach(async () => {
  for (const tray of trays.splice(0)) await killAndWait(tray);
  await lab.remove();
  await sb.cleanup();
});

/** `exlab create run` flags for the lab's equipment and first project, plus `extra`. */
function runArgs(extra: string[] = []): string[] {
  return [
    'create',
    'run',
    '--equipment',
    EQUIPMENT_ID,
    '--project',
    PROJECT,
    '--template',
    'imaging_run',
    '--label',
    'Slice 4 baseline',
    '--operator',
    'ada',
    '--objective',
    'Measure baseline fluorescence.',
    '--run-date',
    '2026-03-02T09:15:00Z',
    '--state-dir',
    sb.stateDir,
    '--config',
    lab.configPath,
    ...extra,
  ];
}

/** The phase lines a creation prints on stderr, in order. */
const PHASE_LINES = [
  '[1/6] Validating inputs',
  '[2/6] Rendering template',
  '[3/6] Running plugins',
  '[4/6] Writing metadata',
  '[5/6] Validating the new folder',
  '[6/6] Queueing NAS sync',
];
const phaseLines = (stderr: string): string[] => stderr.split('\n').filter((line) => /^\[\d\/6\]/.test(line));

const RUN = (): string => join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');

/** Adds a run template with a `.txt` file the fixture plugins handle. */
async function pluginTemplate(): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = join(lab.templatesDir, 'plugin_run');
  await mkdir(dir);
  await writeFile(join(dir, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n');
  await writeFile(join(dir, 'notes.txt.jinja'), 'Run {{ label }}\n');
}

/** `exlab <args>` on a pseudo-terminal (util-linux `script`): what the test types reaches its prompts. */
function terminalSession(args: readonly string[]): {
  waitFor(text: string): Promise<void>;
  type(line: string): void;
  transcript(): string;
  exited: Promise<number | null>;
} {
  const quoted = [process.execPath, CLI_MAIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', quoted, '/dev/null'], { env: sb.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    transcript += chunk.toString();
    for (const waiter of waiters.splice(0)) {
      if (transcript.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    waitFor: (text) =>
      new Promise<void>((resolve) => {
        if (transcript.includes(text)) resolve();
        else waiters.push({ text, resolve });
      }),
    type: (line) => void child.stdin.write(`${line}\r`),
    transcript: () => transcript,
    exited: new Promise<number | null>((resolve) => child.on('close', resolve)),
  };
}

describe('exlab create run (no tray running: in this process)', () => {
  it('creates the run, printing each phase and where it went', async () => {
    const result = await runExlab(runArgs(['--var', 'sample_id=S-777', '--var', 'laser_power_pct=9']), sb.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Created ${RUN()}\nNAS sync: pending\n`);
    expect(result.stderr).toContain(`Using the config given with --config: ${lab.configPath}`);
    expect(phaseLines(result.stderr)).toEqual(PHASE_LINES);
    expect(await readFile(join(RUN(), 'settings', 'acquisition.yaml'), 'utf8')).toContain(
      'sample_id: "S-777"\nobjective_lens: "40x oil"\nlaser_power_pct: 9\n',
    );
    // The run waits in the tray's NAS sync queue for the next start.
    const queue = new DatabaseSync(join(sb.stateDir, 'sync_queue.db'), { readOnly: true });
    try {
      expect(queue.prepare('SELECT run_path, state, equipment_id FROM jobs').all()).toEqual([
        { run_path: RUN(), state: 'queued', equipment_id: EQUIPMENT_ID },
      ]);
    } finally {
      queue.close();
    }
  });

  it('prints the final session snapshot with --json', async () => {
    const result = await runExlab(runArgs(['--json', '--test']), sb.env);
    expect(result.code, result.stderr).toBe(0);
    const handle = SessionHandleSchema.parse(JSON.parse(result.stdout));
    expect(handle).toMatchObject({
      state: 'done',
      kind: 'run',
      result: { path: join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'TestRuns', 'TestRun_2026-03-02T09-15'), blocked: false },
    });
  });

  it('exits 1 naming the problem when the gate refuses, and writes nothing', async () => {
    const args = runArgs();
    args[args.indexOf('--operator') + 1] = ' ';
    const result = await runExlab(args, sb.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Creation failed: validation_failed: operator cannot be empty.');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('exits 1 with destination_exists for a second run in the same minute', async () => {
    expect((await runExlab(runArgs(), sb.env)).code).toBe(0);
    const second = await runExlab(runArgs(), sb.env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/Creation failed: destination_exists: .*already exists/);
  });

  it('exits 2 on a missing required option or a --var without =', async () => {
    const missing = await runExlab(['create', 'run', '--equipment', EQUIPMENT_ID], sb.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--project <name>' not specified");
    const bad = await runExlab(runArgs(['--var', 'sample_id']), sb.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--var "sample_id": write it as name=value.');
  });
});

describe('exlab create project', () => {
  it('creates the project folder, looking the LIMS project up in the catalogue by name', async () => {
    const args = runArgs();
    args.splice(0, 2, 'create', 'project');
    args[args.indexOf('--project') + 1] = 'Retina Mapping';
    args[args.indexOf('--template') + 1] = 'project_basic';
    args.splice(args.indexOf('--run-date'), 2);
    const result = await runExlab(args, sb.env);
    expect(result.code, result.stderr).toBe(0);
    const project = join(lab.localRoot, EQUIPMENT_ID, 'Retina Mapping');
    expect(result.stdout).toContain(`Created ${project}`);
    const creation = JSON.parse(await readFile(join(project, '.exlab-wizard', 'creation.json'), 'utf8')) as {
      level: string;
      lims_project: { short_id: string };
    };
    expect(creation).toMatchObject({ level: 'project', lims_project: { short_id: 'PROJ-0002' } });
  });

  it('exits 2 naming the known projects when the name is not in the catalogue', async () => {
    const args = runArgs();
    args.splice(0, 2, 'create', 'project');
    args[args.indexOf('--project') + 1] = 'Unknown Study';
    args.splice(args.indexOf('--run-date'), 2);
    const result = await runExlab(args, sb.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('known projects: Cortex Q3 Pilot, Retina Mapping');
  });
});

describe('exlab create run (a tray is running: through its API)', () => {
  it('creates the run in the running tray, printing each phase from its events WebSocket', async () => {
    const tray = await startForeground(sb, ['--config', lab.configPath]);
    trays.push(tray);
    const result = await runExlab(runArgs(), sb.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Using the running ExLab-Wizard (pid ${tray.info.pid}, port ${tray.info.port}).`);
    expect(result.stderr).not.toContain('Using the config given');
    expect(phaseLines(result.stderr)).toEqual(PHASE_LINES);
    expect(result.stdout).toBe(`Created ${RUN()}\nNAS sync: pending\n`);
    expect(await listTree(RUN())).toContain('.exlab-wizard/creation.json');
  });

  it('reports a refusal of the tray with its code', async () => {
    trays.push(await startForeground(sb, ['--config', lab.configPath]));
    const args = runArgs();
    args[args.indexOf('--equipment') + 1] = 'SPIM_09';
    const result = await runExlab(args, sb.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Creation refused: equipment_not_configured');
  });
});

// The plugin scenarios, once with no tray (the command runs the creation) and once through a
// running tray (the command follows its events WebSocket): the terminal shows the same thing.
describe.each([
  { mode: 'in this process', tray: false },
  { mode: 'through the running tray', tray: true },
])('exlab create run with plugins ($mode)', ({ tray }) => {
  beforeEach(async () => {
    await pluginTemplate();
    if (tray) trays.push(await startForeground(sb, ['--config', lab.configPath]));
  });

  const pluginRunArgs = (): string[] => {
    const args = runArgs();
    args[args.indexOf('--template') + 1] = 'plugin_run';
    return args;
  };

  it('shows a progress line before each plugin', async () => {
    await installPlugins(lab, ['hello']);
    const result = await runExlab(pluginRunArgs(), sb.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('[3/6] Running plugins\n      [####################] 1/1 hello\n');
    expect(await readFile(join(RUN(), 'notes.txt'), 'utf8')).toBe('Run Slice 4 baseline\nhello\n');
  });

  it('fails clearly on a plugin prompt when stdin is not a terminal, cancelling the session and leaving nothing behind', async () => {
    await installPlugins(lab, ['input_required']);
    const result = await runExlab(pluginRunArgs(), sb.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Plugin input_required needs input (Which color is the sample?: Color) and stdin is not a terminal.');
    expect(result.stderr).toContain('Creation aborted: cancelled');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('asks a plugin prompt on the terminal, asks again on a bad answer, and finishes with the answer', async () => {
    await installPlugins(lab, ['input_required']);
    const session = terminalSession(pluginRunArgs());
    await session.waitFor('Color (red / blue): ');
    session.type('green');
    await session.waitFor('choose one of: red, blue');
    session.type('blue');
    expect(await session.exited, session.transcript()).toBe(0);
    expect(session.transcript()).toContain('Plugin input_required needs input: Which color is the sample?');
    expect(session.transcript()).toContain(`Created ${RUN()}`);
    expect(await readFile(join(RUN(), 'notes.txt'), 'utf8')).toBe('Run Slice 4 baseline\ncolor=blue\n');
  });
});
