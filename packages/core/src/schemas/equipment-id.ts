import { EQUIPMENT_ID_MAX_LENGTH, EQUIPMENT_ID_PATTERN } from '../constants/index.js';

/** Problems with an equipment id (empty when valid): regex, length 1-32, never case-folded (§3.1). */
export function equipmentIdProblems(id: string): string[] {
  const problems: string[] = [];
  if (id.length === 0) problems.push('equipment id is empty');
  if (id.length > EQUIPMENT_ID_MAX_LENGTH)
    problems.push(`equipment id is ${id.length} characters; at most ${EQUIPMENT_ID_MAX_LENGTH} are allowed`);
  if (id.length > 0 && !EQUIPMENT_ID_PATTERN.test(id)) {
    problems.push('equipment id must start with an upper-case letter A-Z and contain only A-Z, 0-9 and _ (e.g. CONFOCAL_01)');
  }
  return problems;
}
