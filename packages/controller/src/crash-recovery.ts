import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES, RUN_KIND_FOLDER } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { equipmentDir } from '@exlab/core/paths';
import { isProcessAlive } from '@exlab/core/process';
import type { Config } from '@exlab/core/schemas';

/** A temporary creation folder left by an interrupted creation and removed at start (§4.8). */
export interface InterruptedCreation {
  /** The removed hidden folder. */
  path: string;
  /** The equipment it was under. */
  equipmentId: string;
  /** The folder the creation would have published. */
  destination: string;
  /** The pid that was creating it, when its name records one. */
  pid: number | null;
}

/** Options of {@link sweepInterruptedCreations}. */
export interface SweepOptions {
  /** Where each removal is logged. */
  logger?: Logger;
  /** Whether a pid still runs a creation; default: the process is alive. */
  isAlive?: (pid: number) => Promise<boolean>;
}

// `.exlab-creating-<destination leaf>.<pid>.<8 hex>`, as temporaryFolderFor names it.
const OWNED = /^(.*)\.(\d+)\.[0-9a-f]{8}$/;

async function childDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/**
 * Crash recovery (§4.8, DECISIONS.md): removes the hidden `.exlab-creating-*` folders of
 * creations interrupted by a crash, under every configured equipment (project folders beside the
 * projects, runs in `Runs/` and `TestRuns/`), logs each, and returns them (for health). A folder
 * whose creating process still runs (this one, or another tool embedding the controller) is left
 * alone. The destinations were never published, so nothing else needs undoing.
 */
export async function sweepInterruptedCreations(config: Config, options: SweepOptions = {}): Promise<InterruptedCreation[]> {
  const logger = options.logger ?? createNullLogger();
  const isAlive = options.isAlive ?? ((pid: number) => (pid === process.pid ? Promise.resolve(true) : isProcessAlive(pid)));
  const swept: InterruptedCreation[] = [];
  const visit = async (parent: string, name: string, equipmentId: string): Promise<void> => {
    const owned = OWNED.exec(name.slice(FILE_NAMES.creationTempPrefix.length));
    const pid = owned ? Number(owned[2]) : null;
    if (pid !== null && (await isAlive(pid))) return;
    const path = join(parent, name);
    const leaf = owned ? (owned[1] ?? '') : name.slice(FILE_NAMES.creationTempPrefix.length);
    try {
      await rm(path, { recursive: true, force: true });
    } catch (error) {
      logger.error(`could not remove the interrupted creation ${path}: ${describeError(error)}`, { equip: equipmentId });
      return;
    }
    const entry: InterruptedCreation = { path, equipmentId, destination: join(parent, leaf), pid };
    logger.warn(`removed the temporary folder of an interrupted creation: ${path} (it would have become ${entry.destination})`, {
      equip: equipmentId,
    });
    swept.push(entry);
  };
  const isTemporary = (name: string): boolean => name.startsWith(FILE_NAMES.creationTempPrefix);
  for (const equipment of config.equipment) {
    const root = equipmentDir(config, equipment.id);
    if (root === undefined) continue;
    for (const name of await childDirs(root)) {
      if (isTemporary(name)) {
        await visit(root, name, equipment.id);
        continue;
      }
      for (const kindFolder of Object.values(RUN_KIND_FOLDER)) {
        const runs = join(root, name, kindFolder);
        for (const run of await childDirs(runs)) if (isTemporary(run)) await visit(runs, run, equipment.id);
      }
    }
  }
  return swept;
}
