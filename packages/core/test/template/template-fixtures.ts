import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

/** The fixture templates checked into the repository. */
export const FIXTURE_TEMPLATES = join(import.meta.dirname, 'fixtures', 'templates');

/** A fresh temporary folder; the caller removes it. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `exlab-${prefix}-`));
}

/** Copies the fixture templates to `<base>/templates` so a test may change them. */
export async function copyFixtureTemplates(base: string): Promise<string> {
  const templatesDir = join(base, 'templates');
  await cp(FIXTURE_TEMPLATES, templatesDir, { recursive: true });
  return templatesDir;
}

/** Writes a template folder `<templatesDir>/<name>` with a copier.yml and the given files. */
export async function writeTemplate(
  templatesDir: string,
  name: string,
  manifest: string,
  files: Record<string, string | Uint8Array> = {},
): Promise<string> {
  const dir = join(templatesDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'copier.yml'), manifest);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** Every file under `dir` as relative POSIX path -> sha256 of its bytes, sorted by path. */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: [string, string][] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push([
      relative(dir, full).split(sep).join('/'),
      createHash('sha256')
        .update(await readFile(full))
        .digest('hex'),
    ]);
  }
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(files);
}

/** Root of the acceptance fixtures: each holds a `template/` and the `expected/` tree it renders to. */
export const ACCEPTANCE_FIXTURES = join(import.meta.dirname, 'fixtures', 'acceptance');

/** One entry of a folder tree: a folder (`path/`) or a file with its bytes. */
export interface TreeEntry {
  /** Relative POSIX path; folders end in `/`. */
  path: string;
  /** File bytes; undefined for a folder. */
  bytes: Buffer | undefined;
}

/** Every folder and file under `dir`, sorted by path, files with their bytes. */
export async function readTree(dir: string): Promise<TreeEntry[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const tree: TreeEntry[] = [];
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    if (entry.isDirectory()) tree.push({ path: `${path}/`, bytes: undefined });
    else if (entry.isFile()) tree.push({ path, bytes: await readFile(full) });
  }
  return tree.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
