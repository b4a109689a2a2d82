#!/usr/bin/env node
// The two Quick start commands. Needs only Node.js >= 22.12: finds or fetches pnpm, installs
// dependencies, builds, then starts the app (`start`) or runs the whole test suite (`test`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`ExLab-Wizard needs Node.js 22.12 or newer; this is ${process.version}. Install Node 24 LTS and try again.\n`);
  process.exit(1);
}

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const isWindows = process.platform === 'win32';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: isWindows, ...options });
  if (result.error) return { status: 127, error: result.error };
  return { status: result.status ?? 1 };
}

// Use pnpm 10 when installed; otherwise run the pinned version through npm's exec (npm registry only).
function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: isWindows });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm', []];
  return ['npm', ['exec', '--yes', `--package=pnpm@${pinned}`, '--', 'pnpm']];
}

function pnpm(args) {
  const [command, prefix] = pnpmCommand();
  const result = run(command, [...prefix, ...args], {
    env: { ...process.env, COREPACK_ENABLE_STRICT: '0', npm_config_manage_package_manager_versions: 'false' },
  });
  if (result.status !== 0) process.exit(result.status);
}

const task = process.argv[2];
const rest = process.argv.slice(3);
const lockfile = existsSync(join(root, 'pnpm-lock.yaml'));
// Never stop to ask: a moved pnpm store or a pnpm upgrade would otherwise abort without a terminal.
pnpm([
  'install',
  ...(lockfile ? ['--frozen-lockfile'] : []),
  '--prefer-offline',
  '--reporter=append-only',
  '--config.confirm-modules-purge=false',
]);

if (task === 'start') {
  pnpm(['exec', 'turbo', 'run', 'build', '--filter=@exlab/cli...', '--output-logs=errors-only']);
  const args = rest.length > 0 ? rest : ['start', '--foreground'];
  // node:sqlite (the NAS sync queue) is behind a flag before Node 22.13; @exlab/core/process nodeRuntimeFlags says the same.
  const flags = major === 22 && minor < 13 ? ['--experimental-sqlite'] : [];
  const child = spawnSync(process.execPath, [...flags, join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, stdio: 'inherit' });
  process.exit(child.status ?? 1);
} else if (task === 'test') {
  pnpm(['exec', 'turbo', 'run', 'typecheck', 'build', '--output-logs=errors-only']);
  for (const report of testReports()) rmSync(report, { force: true });
  const [command, prefix] = pnpmCommand();
  const result = run(command, [...prefix, 'exec', 'turbo', 'run', 'test', '--concurrency=1', '--force', ...rest]);
  printTotals();
  process.exit(result.status);
} else {
  process.stderr.write('usage: node scripts/dev.mjs start|test [args...]\n');
  process.exit(64);
}

// Every workspace package's vitest JSON report (written by the shared vitest config).
function testReports() {
  const dirs = ['tools', ...readdirSync(join(root, 'packages')).map((name) => join('packages', name))];
  return dirs.map((dir) => join(root, dir, 'test-results.json'));
}

function printTotals() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const report of testReports()) {
    if (!existsSync(report)) continue;
    const data = JSON.parse(readFileSync(report, 'utf8'));
    passed += data.numPassedTests;
    failed += data.numFailedTests;
    skipped += data.numPendingTests + data.numTodoTests;
  }
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
}
