import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { FILE_NAMES } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { writeFileAtomic } from '../io/index.js';
import { createTemplateEnvironment, renderString } from './environment.js';
import { settleBounded, valuesOrFirstError } from './bounded-map.js';
import { compileGlob, matchesAny } from './glob.js';
import type { TemplateManifest } from './manifest.js';

/** Copier never copies these (its default `_exclude`). */
export const DEFAULT_TEMPLATE_EXCLUDES = [
  'copier.yml',
  'copier.yaml',
  '~*',
  '*.py[co]',
  '__pycache__',
  '.git',
  '.DS_Store',
  '.svn',
] as const;

/** File reads, renders and writes in flight at once while rendering. */
const IO_CONCURRENCY = 16;

/** What {@link renderTemplate} did. */
export interface RenderResult {
  /** Files written, relative to the destination, POSIX separators, sorted. */
  written: string[];
  /** Files left alone because they existed with identical bytes or matched `_skip_if_exists`. */
  kept: string[];
}

interface PlannedFile {
  source: string;
  /** `source` relative to the template folder, POSIX separators. */
  relativeSource: string;
  target: string;
  relativeTarget: string;
  render: boolean;
}

// A Jinja syntax error in a template is the template's fault: report it as a load error naming the file, not as internal_error.
function renderOrFail(
  env: ReturnType<typeof createTemplateEnvironment>,
  source: string,
  context: Readonly<Record<string, unknown>>,
  template: string,
  relSource: string,
): string {
  try {
    return renderString(env, source, context);
  } catch (error) {
    // A syntax error found while compiling carries its position but does not print it.
    const { lineno, message } = error as { lineno?: unknown; message?: string };
    const at = typeof lineno === 'number' && !String(message).includes('[Line') ? ` (line ${lineno})` : '';
    throw new ExLabError('template_load_error', `Template "${template}": ${relSource} could not be rendered: ${String(message)}${at}`, {
      field: relSource,
      details: { template },
      cause: error,
    });
  }
}

// Two entries rendering to one path, or a file where another entry needs a folder, would fail half-way through writing.
function assertNoClashes(manifest: TemplateManifest, planned: readonly PlannedFile[]): void {
  const sourceOf = new Map<string, string>();
  const clash = (file: PlannedFile, other: string, path: string): ExLabError => {
    const source = file.relativeSource;
    return new ExLabError('template_load_error', `Template "${manifest.name}": ${source} and ${other} both render to ${path}.`, {
      field: source,
      details: { template: manifest.name, path },
    });
  };
  for (const file of planned) {
    const other = sourceOf.get(file.relativeTarget);
    if (other !== undefined) throw clash(file, other, file.relativeTarget);
    sourceOf.set(file.relativeTarget, file.relativeSource);
  }
  for (const file of planned) {
    const segments = file.relativeTarget.split('/');
    for (let i = 1; i < segments.length; i += 1) {
      const folder = segments.slice(0, i).join('/');
      const other = sourceOf.get(folder);
      if (other !== undefined) throw clash(file, other, folder);
    }
  }
}

/**
 * Renders a Copier-style template into `destination` (core.md D4): path segments are templates
 * (an empty segment drops the entry), `*.jinja` files are rendered and lose the suffix, other
 * files are copied byte for byte. Nothing is overwritten: an existing file with different
 * content fails the whole render before anything is written.
 */
export async function renderTemplate(
  manifest: TemplateManifest,
  destination: string,
  context: Readonly<Record<string, unknown>>,
): Promise<RenderResult> {
  const env = createTemplateEnvironment();
  const excludes = [...DEFAULT_TEMPLATE_EXCLUDES, ...manifest.exclude].map(compileGlob);
  const skipIfExists = manifest.skipIfExists.map(compileGlob);
  const planned: PlannedFile[] = [];
  // Folders are created even when empty, as Copier does (e.g. an empty `raw/` for instrument output).
  const folders: string[] = [];

  const walk = async (sourceDir: string, relativeDir: string, targetSegments: string[]): Promise<void> => {
    const entries = await readdir(sourceDir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const sourcePath = join(sourceDir, entry.name);
      const relSource = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (matchesAny(excludes, relSource)) continue;
      const isJinja = entry.isFile() && entry.name.endsWith(FILE_NAMES.jinjaSuffix);
      const rawName = isJinja ? entry.name.slice(0, -FILE_NAMES.jinjaSuffix.length) : entry.name;
      const renderedName = renderOrFail(env, rawName, context, manifest.name, relSource);
      if (renderedName.trim() === '') continue;
      if (renderedName.includes('/') || renderedName.includes('\\') || renderedName === '.' || renderedName === '..') {
        throw new ExLabError(
          'template_load_error',
          `Template "${manifest.name}": path segment "${rawName}" renders to "${renderedName}", which is not a single folder or file name.`,
          {
            field: relSource,
            details: { template: manifest.name },
          },
        );
      }
      const segments = [...targetSegments, renderedName];
      if (entry.isDirectory()) {
        folders.push(join(destination, ...segments));
        await walk(sourcePath, relSource, segments);
      } else if (entry.isFile()) {
        planned.push({
          source: sourcePath,
          relativeSource: relSource,
          target: join(destination, ...segments),
          relativeTarget: segments.join('/'),
          render: isJinja,
        });
      }
    }
  };
  await walk(manifest.path, '', []);
  assertNoClashes(manifest, planned);

  // Into a folder that does not exist yet (a new run) nothing can clash, so no target needs a stat.
  const destinationExists = await stat(destination).then(
    () => true,
    () => false,
  );
  // Read, render and compare everything first, so a conflict fails before any write.
  const prepared = valuesOrFirstError(
    await settleBounded(planned, IO_CONCURRENCY, async (file) => {
      const content = file.render
        ? renderOrFail(env, await readFile(file.source, 'utf8'), context, manifest.name, file.relativeSource)
        : null;
      const existing = destinationExists ? await stat(file.target).catch(() => undefined) : undefined;
      if (!existing) return { file, content, keep: false };
      if (matchesAny(skipIfExists, file.relativeTarget)) return { file, content, keep: true };
      const before = existing.isFile() ? await readFile(file.target) : undefined;
      const after = content === null ? await readFile(file.source) : Buffer.from(content, 'utf8');
      if (before?.equals(after)) return { file, content, keep: true };
      throw new ExLabError(
        'destination_exists',
        `${file.target} already exists with different content; a template never overwrites a file.`,
        {
          field: file.relativeTarget,
          details: { path: file.target },
        },
      );
    }),
  );
  const result: RenderResult = { written: [], kept: prepared.filter((p) => p.keep).map((p) => p.file.relativeTarget) };
  const outputs = prepared.filter((p) => !p.keep);
  // Parents come before their children in walk order; the destination itself is made first for root-level files.
  await mkdir(destination, { recursive: true });
  for (const folder of folders) await mkdir(folder, { recursive: true });
  valuesOrFirstError(
    await settleBounded(outputs, IO_CONCURRENCY, async ({ file, content }) => {
      if (content === null) await copyFile(file.source, file.target, fsConstants.COPYFILE_EXCL);
      else await writeFile(file.target, content, { flag: 'wx' });
    }),
  );
  result.written = outputs.map((o) => o.file.relativeTarget);
  result.written.sort();
  result.kept.sort();
  return result;
}

/** Writes `.exlab-answers.yml` (core.md D5): the answers minus secrets, the template's source path, name and version. */
export async function writeAnswersFile(
  destination: string,
  manifest: TemplateManifest,
  answers: Readonly<Record<string, unknown>>,
): Promise<void> {
  const secrets = new Set(manifest.questions.filter((q) => q.secret).map((q) => q.name));
  const kept: Record<string, unknown> = { _src_path: manifest.path, _exlab_template: manifest.name, _exlab_version: manifest.version };
  for (const [key, value] of Object.entries(answers)) if (!secrets.has(key)) kept[key] = value;
  // Copier reads this file as YAML 1.1, so strings such as `yes`, `08:00` or `2026-04-17` must be quoted.
  await writeFileAtomic(join(destination, FILE_NAMES.answers), stringifyYaml(kept, { version: '1.1' }));
}
