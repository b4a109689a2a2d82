import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunKind } from '../constants/index.js';
import type { Config, Finding } from '../schemas/index.js';
import { validateCreation } from './creation-check.js';

/** A written tree to check as if it stood at its destination (§4.7 POST_VALIDATE, §7.3). */
export interface TreeCheckInput {
  /** The `validator.*` settings decide which files have their text scanned. */
  config: Pick<Config, 'validator'>;
  /** Where the tree is now (a creation's hidden temporary folder, or the published run). */
  tree: string;
  /** Where it is (or will be) published; findings name paths there. */
  destination: string;
  /** The equipment folder the destination is under. */
  equipmentDirectory: string;
  /** The run's kind; null for a project. */
  runKind: RunKind | null;
  /** README field ids that must have a value. */
  requiredIds: readonly string[];
  /** README field values by id. */
  readmeFields: Readonly<Record<string, unknown>>;
  /** Relative paths (POSIX separators) below these folder names are left out, e.g. a project's run folders. */
  skipFolders?: readonly string[];
}

/**
 * The §8.1 rules over a written tree (DECISIONS.md: the creation gate's engine, run again before
 * sync): every file name under the tree, and the text of every file the `validator.*` settings
 * would scan. Returns every finding, sorted; a hard one that no active override covers blocks sync.
 */
export async function checkTree(input: TreeCheckInput): Promise<Finding[]> {
  const settings = input.config.validator;
  const maxBytes = settings.content_scan_max_mib * 1024 * 1024;
  const extensions = new Set(settings.content_scan_extensions.map((e) => e.toLowerCase()));
  const skipped = new Set(input.skipFolders ?? []);
  const entries = await readdir(input.tree, { recursive: true, withFileTypes: true });
  const fileNames: string[] = [];
  const contents: Record<string, string> = {};
  const reads: Promise<void>[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = join(entry.parentPath, entry.name);
    const name = relative(input.tree, absolute).split('\\').join('/');
    if (skipped.size > 0 && skipped.has(name.split('/', 1)[0] ?? '')) continue;
    fileNames.push(name);
    const dot = entry.name.lastIndexOf('.');
    if (dot <= 0 || !extensions.has(entry.name.slice(dot).toLowerCase())) continue;
    reads.push(
      (async () => {
        if ((await stat(absolute)).size <= maxBytes) contents[name] = await readFile(absolute, 'utf8');
      })(),
    );
  }
  await Promise.all(reads);
  return validateCreation(
    {
      proposed_path: input.destination,
      equipment_dir: input.equipmentDirectory,
      variables: {},
      file_names: fileNames.sort(),
      file_contents: contents,
      run_kind: input.runKind,
      required_ids: input.requiredIds,
      readme_fields: input.readmeFields,
    },
    { contentScanMaxMib: settings.content_scan_max_mib, contentScanExtensions: settings.content_scan_extensions },
  );
}
