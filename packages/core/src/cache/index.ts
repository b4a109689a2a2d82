/** The `.exlab-wizard/` cache files: creation.json, equipment.json and the run-kind markers. */
export { creationJsonPath, writeNewCreationJson, readCreationJson, type CreationJsonBody } from './creation-file.js';
export { equipmentJsonPath, writeEquipmentJson } from './equipment-file.js';
export { runKindMarkerPath, writeRunKindMarkerOnce } from './run-kind-marker.js';
export { activeOverrides, isOverrideActive, danglingTombstones, type OverrideEntry } from './overrides.js';
