import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { EXIT_CODES, FILE_NAMES, PLUGIN_NAME_PATTERN } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import { writeFileAtomic } from '@exlab/core/io';
import { createNullLogger, type LogFields, type Logger } from '@exlab/core/logging';
import {
  loadManifest,
  PluginHost,
  PluginRegistry,
  resolveWorkerRuntime,
  type PluginInputPrompt,
  type PluginManifest,
} from '@exlab/core/plugins';
import { LabConfigUnavailable, resolveLabConfig } from '../lab-config.js';
import { COMMAND_USAGE_EXIT, EXEC_EXIT, LINT_EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Flags of `exlab plugins list`. */
export interface PluginsListFlags {
  /** config.yaml to use (default: the OS config, else the demo lab). */
  config?: string;
  /** Print JSON instead of a table. */
  json?: boolean;
}

/** Flags of `exlab plugins lint`. */
export interface PluginsLintFlags {
  /** Print `{plugins: [{path, name, findings}]}` (§6.9). */
  json?: boolean;
  /** Warnings fail the lint too (exit 2 instead of 1). */
  strict?: boolean;
}

/** Flags of `exlab plugins exec`. */
export interface PluginsExecFlags {
  /** `--var k=v`, repeatable: the creation variables. */
  var?: string[];
  /** `--input k=v`, repeatable: answers to the plugin's prompts. */
  input?: string[];
  /** Call describeChanges instead of transform. */
  dryRun?: boolean;
  /** false with `--no-isolation`: no prlimit / network namespace wrappers. */
  isolation?: boolean;
}

/** Flags of `exlab plugins new`. */
export interface PluginsNewFlags {
  /** Parent folder of the new plugin (default: the current folder). */
  dir?: string;
}

function keyValues(pairs: readonly string[] | undefined, flag: string): Record<string, string> | string {
  const values: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `${flag} ${pair}: expected key=value`;
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * `exlab plugins list [--config FILE] [--json]`: the plugins the app would load, bundled and from
 * the lab's `paths.plugin_dir` (a lab copy wins a name clash), with name, version, source,
 * extensions and folder; plugins that fail to load are listed on stderr with the rule they broke.
 * Exit 0, or 2 when no config can be found.
 */
export async function pluginsListCommand(flags: PluginsListFlags, output: Output, env: Env): Promise<number> {
  let source;
  try {
    source = await resolveLabConfig(flags.config, env);
  } catch (error) {
    if (error instanceof LabConfigUnavailable) {
      output.err(error.message);
      return COMMAND_USAGE_EXIT;
    }
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }
  if (flags.json !== true) output.err(`Using ${source.origin}: ${source.path}`);
  const registry = new PluginRegistry({
    labRoot: source.config.paths.plugin_dir,
    allowNetwork: source.config.plugins.allow_network,
  });
  const { loaded, rejected } = await registry.reload();
  if (flags.json === true) {
    output.out(
      JSON.stringify(
        {
          plugins: loaded.map((p) => ({
            name: p.manifest.name,
            version: p.manifest.version,
            source: p.source,
            supported_extensions: p.manifest.supported_extensions,
            description: p.manifest.description ?? null,
            path: p.dir,
          })),
          rejected: rejected.map((r) => ({ path: r.dir, source: r.source, name: r.name ?? null, code: r.code, reason: r.reason })),
        },
        null,
        2,
      ),
    );
    return EXIT_CODES.ok;
  }
  if (loaded.length === 0) output.out('No plugins installed.');
  else {
    const rows = [['NAME', 'VERSION', 'SOURCE', 'EXTENSIONS', 'PATH']];
    for (const p of loaded) rows.push([p.manifest.name, p.manifest.version, p.source, p.manifest.supported_extensions.join(','), p.dir]);
    for (const line of table(rows)) output.out(line);
  }
  for (const r of rejected) output.err(`not loaded: ${r.dir}: ${r.reason} (${r.code})`);
  return EXIT_CODES.ok;
}

/** One lint finding (§6.9 JSON shape). */
export interface PluginLintFinding {
  severity: 'error' | 'warn' | 'info';
  code: string;
  message: string;
  field?: string;
}

/** The lint of one plugin folder. */
export interface PluginLintReport {
  path: string;
  name: string | null;
  findings: PluginLintFinding[];
}

/** The entry module as the worker would pick it: package.json `main`, else index.mjs, index.js, index.ts. */
async function entryOf(dir: string): Promise<{ path: string } | { problem: string }> {
  const pkgPath = join(dir, 'package.json');
  if (existsSync(pkgPath)) {
    let main: unknown;
    try {
      main = (JSON.parse(await readFile(pkgPath, 'utf8')) as { main?: unknown }).main;
    } catch (error) {
      return { problem: `package.json is not valid JSON: ${describeError(error)}` };
    }
    if (typeof main === 'string') {
      const path = resolve(dir, main);
      return existsSync(path) ? { path } : { problem: `package.json "main" points at ${main}, which does not exist` };
    }
  }
  for (const candidate of ['index.mjs', 'index.js', 'index.ts']) {
    if (existsSync(join(dir, candidate))) return { path: join(dir, candidate) };
  }
  return { problem: 'no entry module: expected package.json "main", index.mjs, index.js or index.ts' };
}

// Static checks of the entry module (§6.9 "static check via AST or import"): the worker imports it
// and needs a `Plugin` (or default) export of a class extending the SDK's Plugin, with `transform`.
const EXPORTS_PLUGIN = /export\s+(?:default\b|(?:abstract\s+)?class\s+Plugin\b|(?:const|let|var)\s+Plugin\b|\{[^}]*\bPlugin\b[^}]*\})/;
const EXTENDS_SDK = /extends\s+[\w$.]+/;
const IMPORTS_SDK = /['"]@exlab\/plugin-sdk['"]/;
const HAS_TRANSFORM = /(?:^|[\s;{}])(?:async\s+)?transform\s*\(/m;
const HAS_README_HOOK = /\b(?:transformReadme|transform_readme)\b/;

/** Lints one plugin folder: the manifest rules of the registry, then the entry module. */
async function lintPlugin(dir: string): Promise<PluginLintReport> {
  const findings: PluginLintFinding[] = [];
  const report: PluginLintReport = { path: dir, name: null, findings };
  // allowNetwork: the lab decides; lint only reminds (info below).
  const result = await loadManifest(dir, { allowNetwork: true });
  if (!result.ok) {
    const { code, reason, field, name } = result.rejection;
    report.name = name ?? null;
    findings.push({ severity: 'error', code, message: reason, ...(field === undefined ? {} : { field }) });
  } else {
    const manifest: PluginManifest = result.manifest;
    report.name = manifest.name;
    for (const warning of result.warnings) findings.push({ severity: 'warn', code: 'manifest_warning', message: warning });
    if (manifest.isolation.network) {
      findings.push({
        severity: 'info',
        code: 'network_declared',
        message: 'isolation.network: true is refused unless config.yaml sets plugins.allow_network: true',
        field: 'isolation.network',
      });
    }
    if (basename(dir) !== manifest.name) {
      findings.push({
        severity: 'info',
        code: 'folder_name_differs',
        message: `folder "${basename(dir)}" holds plugin "${manifest.name}"`,
      });
    }
  }
  const entry = await entryOf(dir);
  if ('problem' in entry) {
    findings.push({ severity: 'error', code: 'entry_missing', message: entry.problem });
    return report;
  }
  const text = await readFile(entry.path, 'utf8');
  const where = relative(dir, entry.path);
  if (!EXPORTS_PLUGIN.test(text))
    findings.push({
      severity: 'error',
      code: 'plugin_export_missing',
      message: `${where} does not export a class named Plugin (or a default export)`,
    });
  if (!EXTENDS_SDK.test(text) || !IMPORTS_SDK.test(text))
    findings.push({
      severity: 'error',
      code: 'plugin_not_sdk_class',
      message: `${where} must import @exlab/plugin-sdk and export a class that extends its Plugin`,
    });
  if (!HAS_TRANSFORM.test(text))
    findings.push({ severity: 'error', code: 'transform_missing', message: `${where} does not implement transform(file, ctx)` });
  if (HAS_README_HOOK.test(text))
    findings.push({
      severity: 'error',
      code: 'transform_readme_removed',
      message: `${where} implements transformReadme, which no longer exists (§6.1.5); README.md is never handed to plugins`,
    });
  return report;
}

/** The plugin folders under `path`: itself when it has a manifest.yml, else its children that have one. */
async function pluginFolders(path: string): Promise<string[]> {
  if (existsSync(join(path, FILE_NAMES.pluginManifest))) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const dirs = entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => join(path, e.name))
    .filter((dir) => existsSync(join(dir, FILE_NAMES.pluginManifest)))
    .sort();
  // A folder with no plugin at all is linted as one plugin, so the missing manifest is reported.
  return dirs.length > 0 ? dirs : [path];
}

/**
 * `exlab plugins lint PATH [--json] [--strict]` (§6.9): checks one plugin folder, or every plugin
 * folder in PATH, without running it. Exit 0 clean (info only), 1 warnings, 2 errors (or warnings
 * with --strict), 3 PATH is not a directory.
 */
export async function pluginsLintCommand(path: string, flags: PluginsLintFlags, output: Output): Promise<number> {
  const root = resolve(path);
  if (!(await isDirectory(root))) {
    output.err(`${path} is not a directory`);
    return LINT_EXIT.badPath;
  }
  const reports = await Promise.all((await pluginFolders(root)).map(lintPlugin));
  const all = reports.flatMap((r) => r.findings);
  const errors = all.filter((f) => f.severity === 'error').length;
  const warnings = all.filter((f) => f.severity === 'warn').length;
  if (flags.json === true) output.out(JSON.stringify({ plugins: reports }, null, 2));
  else {
    for (const report of reports) {
      output.out(`${report.name ?? basename(report.path)} (${report.path})`);
      if (report.findings.length === 0) output.out('  ok');
      for (const f of report.findings) output.out(`  ${f.severity.padEnd(5)} ${f.code}${f.field ? ` [${f.field}]` : ''}: ${f.message}`);
    }
    output.out(`${reports.length} plugin(s): ${errors} error(s), ${warnings} warning(s)`);
  }
  if (errors > 0 || (flags.strict === true && warnings > 0)) return LINT_EXIT.errors;
  return warnings > 0 ? LINT_EXIT.warnings : LINT_EXIT.clean;
}

/** The deepest folder holding every path. */
function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => dirname(p).split(sep));
  const first = split[0] ?? [];
  let length = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < length && parts[i] === first[i]) i += 1;
    length = i;
  }
  return first.slice(0, length).join(sep) || sep;
}

/** A logger printing the plugin's own log lines (and the host's warnings) on stderr. */
function execLogger(output: Output, tags: LogFields = {}): Logger {
  const base = createNullLogger();
  const line = (level: string) => (msg: string, fields?: LogFields) => {
    const all = { ...tags, ...fields };
    delete all.component;
    const rest = Object.keys(all).length === 0 ? '' : ` ${JSON.stringify(all)}`;
    output.err(`[${level}] ${msg}${rest}`);
  };
  return {
    ...base,
    get level() {
      return base.level;
    },
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => execLogger(output, { ...tags, ...more }),
  };
}

/**
 * `exlab plugins exec DIR FILE... [--var k=v] [--input k=v] [--dry-run] [--no-isolation]` (§6.10):
 * runs the plugin in DIR over FILEs through the real plugin host (worker process, limits, policy
 * checks) outside any creation; the files' common folder is the run folder. Prompts are answered
 * from --input. Prints `<file> -> <action>` per file. Exit 0 success, 1 the plugin failed, 2 it
 * could not be loaded, 3 a FILE is missing or not a file, 4 a required input was not given.
 */
export async function pluginsExecCommand(dir: string, files: readonly string[], flags: PluginsExecFlags, output: Output): Promise<number> {
  const variables = keyValues(flags.var, '--var');
  const inputs = keyValues(flags.input, '--input');
  if (typeof variables === 'string' || typeof inputs === 'string') {
    output.err(typeof variables === 'string' ? variables : String(inputs));
    return EXIT_CODES.usage;
  }
  const pluginDir = resolve(dir);
  if (!(await isDirectory(pluginDir))) {
    output.err(`${dir} is not a plugin folder`);
    return EXEC_EXIT.loadFailed;
  }
  const loaded = await loadManifest(pluginDir);
  if (!loaded.ok) {
    output.err(`the plugin cannot be loaded: ${loaded.rejection.reason} (${loaded.rejection.code})`);
    return EXEC_EXIT.loadFailed;
  }
  const targets: string[] = [];
  for (const file of files) {
    const path = resolve(file);
    const info = await stat(path).catch(() => null);
    if (info === null || !info.isFile()) {
      output.err(`${file} is missing or not a file`);
      return EXEC_EXIT.badFiles;
    }
    targets.push(await realpath(path));
  }
  const dstRoot = commonFolder(targets);
  const scratch = await mkdtemp(join(tmpdir(), 'exlab-plugins-exec-'));
  const logger = execLogger(output);
  // The registry reads whole roots: a root holding only a link to DIR runs exactly this plugin.
  await mkdir(join(scratch, 'root'));
  await symlink(pluginDir, join(scratch, 'root', basename(pluginDir)), 'dir');
  const registry = new PluginRegistry({ bundledRoot: null, labRoot: join(scratch, 'root'), logger });
  const host = new PluginHost({ registry, logDir: join(scratch, 'logs'), logger, osIsolation: flags.isolation !== false });
  let missingInput = false;
  try {
    const { loaded: plugins, rejected } = await registry.reload();
    if (plugins.length === 0) {
      output.err(`the plugin cannot be loaded: ${rejected[0]?.reason ?? 'no plugin found'}`);
      return EXEC_EXIT.loadFailed;
    }
    const name = loaded.manifest.name;
    const onInputRequired = (prompt: PluginInputPrompt): Promise<Record<string, unknown> | null> => {
      const answers: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const field of prompt.fields) {
        if (field.id in inputs) answers[field.id] = inputs[field.id];
        else if (field.default !== undefined) answers[field.id] = field.default;
        else if (field.required) missing.push(field.id);
      }
      output.err(`${name} asks: ${prompt.reason}${prompt.file === null ? '' : ` (${relative(dstRoot, prompt.file)})`}`);
      for (const field of prompt.fields)
        output.err(
          `  --input ${field.id}=...  ${field.label}${field.required ? '' : ' (optional)'}${field.hint ? ` - ${field.hint}` : ''}`,
        );
      if (missing.length > 0) {
        output.err(`missing --input for: ${missing.join(', ')}`);
        missingInput = true;
        return Promise.resolve(null);
      }
      return Promise.resolve(answers);
    };
    let result;
    try {
      result = await host.runPass({
        dstRoot,
        files: targets,
        order: [name],
        dryRun: flags.dryRun === true,
        onInputRequired,
        context: {
          variables,
          answersFile: join(dstRoot, FILE_NAMES.answers),
          templateName: 'plugins_exec',
          templateVersion: '0',
          runKind: 'test',
          equipmentId: 'LOCAL_TEST',
          project: 'PROJ-TEST',
          runId: `exec-${Date.now()}`,
        },
      });
    } catch (error) {
      if (error instanceof ExLabError && error.code === 'plugin_variable_validation_failed') {
        const problems = (error.details?.errors as string[] | undefined) ?? [error.message];
        for (const problem of problems) output.err(problem);
        return problems.some((p) => p.includes('import_failed')) ? EXEC_EXIT.loadFailed : EXEC_EXIT.failed;
      }
      throw error;
    }
    if (result.aborted) return missingInput ? EXEC_EXIT.inputMissing : EXEC_EXIT.failed;
    const record = result.applied.find((r) => r.plugin === name);
    if (record === undefined) {
      output.out(`no file matches ${name}'s supported_extensions (${loaded.manifest.supported_extensions.join(', ')})`);
      return EXEC_EXIT.ok;
    }
    const affected = new Set(record.files_affected);
    for (const target of targets) {
      const rel = relative(dstRoot, target);
      const action =
        record.status === 'success' || record.status === 'skipped'
          ? affected.has(rel.split(sep).join('/'))
            ? 'mutated'
            : flags.dryRun === true
              ? 'described'
              : 'skipped'
          : `failed: ${record.error ?? record.status}`;
      output.out(`${rel} -> ${action}`);
    }
    if (record.violations !== undefined) output.err(`policy violation (reverted): ${record.violations.join(', ')}`);
    output.err(`${name}: ${record.status}${record.isolation ? ` in ${Math.round(record.isolation.duration_ms)} ms` : ''}`);
    if (record.status === 'success' || record.status === 'skipped') return EXEC_EXIT.ok;
    return record.error?.includes('import_failed') || record.error?.includes('PluginLoadError') ? EXEC_EXIT.loadFailed : EXEC_EXIT.failed;
  } catch (error) {
    output.err(describeError(error));
    return EXEC_EXIT.failed;
  } finally {
    await host.shutdown(0);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The files of a new plugin package named `name`; `testNodeArgs` make `@exlab/plugin-sdk` resolvable. */
function scaffoldFiles(name: string, testNodeArgs: readonly string[]): Record<string, string> {
  const stampLine = `${name}: operator \${operator}`;
  return {
    'manifest.yml': `# Read by ExLab Wizard when it starts and on reload (spec §6.2).
name: ${name}
version: 0.1.0
author: Your Name
description: Stamps a line into each .txt file of a new run folder.

supported_extensions: ['.txt']
api_version: '1'

required_variables: []
optional_variables: [operator]

isolation:
  timeout_seconds: 10
  memory_mb: 128
  network: false
`,
    'index.mjs': `// ${name}: appends one line to each .txt file of a new run folder. Edit transform() to do real work.
import { appendFile, readFile } from 'node:fs/promises';
import { Plugin as BasePlugin } from '@exlab/plugin-sdk';

export class Plugin extends BasePlugin {
  async transform(file, ctx) {
    const operator = ctx.variables.operator ?? 'unknown';
    const line = \`${stampLine}\`;
    // A resumed pass may hand the same file again: write once.
    if ((await readFile(file, 'utf8')).split('\\n').includes(line)) return [];
    await appendFile(file, \`\${line}\\n\`);
    ctx.logger.info('stamped', { file });
    return [{ path: file, kind: 'modify', summary: \`appended "\${line}"\` }];
  }
}
`,
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        private: true,
        type: 'module',
        description: 'An ExLab Wizard plugin.',
        scripts: { test: ['node', ...testNodeArgs.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)), '--test'].join(' ') },
      },
      null,
      2,
    )}\n`,
    'test/plugin.test.mjs': `// Runs the plugin in a worker process, as ExLab Wizard does, on a temp run folder.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPluginLocally } from '@exlab/plugin-sdk/local';

const pluginDir = join(import.meta.dirname, '..');

async function runFolder(t) {
  const dir = await mkdtemp(join(tmpdir(), '${name}-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'notes.txt'), 'first line\\n');
  return dir;
}

test('stamps the operator into a .txt file', async (t) => {
  const dir = await runFolder(t);
  const result = await runPluginLocally(pluginDir, ['notes.txt'], { dstRoot: dir, variables: { operator: 'tester' } });
  assert.equal(result.result, 'success', result.errorMessage ?? undefined);
  assert.deepEqual(result.perFile.map((f) => f.status), ['modified']);
  assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'first line\\n${name}: operator tester\\n');
});

test('changes nothing in a dry run', async (t) => {
  const dir = await runFolder(t);
  const result = await runPluginLocally(pluginDir, ['notes.txt'], { dstRoot: dir, dryRun: true });
  assert.deepEqual(result.perFile.map((f) => f.status), ['described']);
  assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'first line\\n');
});
`,
    'README.md': `# ${name}

An ExLab Wizard plugin. It appends \`${name}: operator <operator>\` to every \`.txt\` file of a new
run folder.

- \`npm test\` runs \`test/plugin.test.mjs\` (node:test) with \`runPluginLocally\` from \`@exlab/plugin-sdk/local\`.
- \`exlab plugins lint .\` checks the manifest and the entry module.
- \`exlab plugins exec . some/file.txt --var operator=me\` runs it through the real plugin host.
- To install it, copy this folder into the lab's \`paths.plugin_dir\`.
`,
  };
}

/**
 * `exlab plugins new NAME [--dir D]`: scaffolds a plugin package in D/NAME (manifest.yml,
 * index.mjs, package.json, a node:test test using runPluginLocally, README.md) that lints clean
 * and passes its own `npm test` with no install. Exit 0, or 2 for a bad name or an existing folder.
 */
export async function pluginsNewCommand(name: string, flags: PluginsNewFlags, output: Output): Promise<number> {
  if (!PLUGIN_NAME_PATTERN.test(name)) {
    output.err(`"${name}" is not a plugin name: use letters, digits, _ and - only`);
    return COMMAND_USAGE_EXIT;
  }
  const target = resolve(flags.dir ?? '.', name);
  if (existsSync(target)) {
    output.err(`${target} already exists`);
    return COMMAND_USAGE_EXIT;
  }
  const runtime = resolveWorkerRuntime();
  for (const [path, content] of Object.entries(scaffoldFiles(name, runtime.sdkArgs))) {
    await writeFileAtomic(join(target, path), content);
  }
  output.out(`Created plugin ${name} in ${target}`);
  output.out(`  cd ${target} && npm test`);
  return EXIT_CODES.ok;
}
