import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import { writeJsonAtomic } from '../io/index.js';
import { EquipmentJsonSchema, formatUtcTimestamp, type EquipmentJson } from '../schemas/index.js';

/** `<equipmentDir>/.exlab-wizard/equipment.json`. */
export function equipmentJsonPath(equipmentDirectory: string): string {
  return join(equipmentDirectory, FILE_NAMES.cacheDir, FILE_NAMES.equipment);
}

/**
 * Rewrites equipment.json from the configured values (§11.4.1, core.md F7), keeping
 * `first_seen_at` from a readable existing file; a corrupt file is replaced by a fresh one.
 */
export async function writeEquipmentJson(
  equipmentDirectory: string,
  equipment: { id: string; label: string; configuredLocalRoot: string; configuredNasRoot: string },
  now: Date,
): Promise<EquipmentJson> {
  const path = equipmentJsonPath(equipmentDirectory);
  let firstSeen = formatUtcTimestamp(now);
  const previous = await readFile(path, 'utf8').catch(() => undefined);
  if (previous !== undefined) {
    try {
      const parsed = EquipmentJsonSchema.safeParse(JSON.parse(previous));
      if (parsed.success) firstSeen = parsed.data.first_seen_at;
    } catch {
      // Corrupt JSON: a fresh record replaces it.
    }
  }
  const record: EquipmentJson = {
    schema_version: SCHEMA_VERSIONS.equipment_json,
    id: equipment.id,
    label: equipment.label,
    configured_local_root: equipment.configuredLocalRoot,
    configured_nas_root: equipment.configuredNasRoot,
    first_seen_at: firstSeen,
    last_modified_at: formatUtcTimestamp(now),
  };
  await writeJsonAtomic(path, record);
  return record;
}
