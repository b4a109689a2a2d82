/**
 * The `.exlab-wizard/` cache files (§11, §13.4): creation.json, readme_fields.json,
 * equipment.json, the run-kind markers and ingest.json. Readers migrate older minors and refuse
 * other majors (§11.9.2); {@link CacheWriter} is the only code that writes these files.
 */
export {
  CacheWriter,
  type CacheWriterOptions,
  type CreationMutation,
  type OverrideRequest,
  type RevocationRequest,
} from './cache-writer.js';
export { creationJsonPath, parseCreationJson, readCreationJson, MUTABLE_CREATION_FIELDS, type CreationJsonBody } from './creation-file.js';
export {
  readmeFieldsPath,
  readmeFieldsDocument,
  parseReadmeFieldsJson,
  readReadmeFieldsJson,
  type ReadmeFieldsBody,
} from './readme-fields-file.js';
export { equipmentJsonPath, parseEquipmentJson, readEquipmentJson, type EquipmentRecordInput } from './equipment-file.js';
export { runKindMarkerPath, parseRunKindMarker, readRunKindMarker } from './run-kind-marker.js';
export { ingestJsonPath, parseIngestJson, readIngestJson, type IngestHeader, type IngestStepDetails } from './ingest-file.js';
export { activeOverrides, isOverrideActive, danglingTombstones, type OverrideEntry, type TombstoneEntry } from './overrides.js';
