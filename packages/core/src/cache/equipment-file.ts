import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import { parseWithSchema } from '../io/index.js';
import { EquipmentJsonSchema, type EquipmentJson } from '../schemas/index.js';
import { checkSchemaMajor, readJsonDocument } from './schema-version.js';

/** `<equipmentDir>/.exlab-wizard/equipment.json`. */
export function equipmentJsonPath(equipmentDirectory: string): string {
  return join(equipmentDirectory, FILE_NAMES.cacheDir, FILE_NAMES.equipment);
}

/** The configured values equipment.json mirrors (§11.4.1). */
export interface EquipmentRecordInput {
  /** `equipment[].id`. */
  id: string;
  /** `equipment[].label`. */
  label: string;
  /** The equipment's local root as configured. */
  configuredLocalRoot: string;
  /** The equipment's NAS root as configured. */
  configuredNasRoot: string;
}

/** Reads a parsed equipment.json: major 1 only (§11.9.2), any minor, unknown keys kept. 1.0 is the only version so far, so there are no defaults. */
export function parseEquipmentJson(raw: unknown, file: string): EquipmentJson {
  const { document } = checkSchemaMajor(raw, file, SCHEMA_VERSIONS.equipment_json);
  return parseWithSchema(file, document, EquipmentJsonSchema);
}

/** Reads `<equipmentDir>/.exlab-wizard/equipment.json` (a snapshot read; writers publish by atomic rename). */
export async function readEquipmentJson(equipmentDirectory: string): Promise<EquipmentJson> {
  const path = equipmentJsonPath(equipmentDirectory);
  return parseEquipmentJson(await readJsonDocument(path), path);
}
