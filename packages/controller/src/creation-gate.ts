import { LIMITS } from '@exlab/core/constants';
import { ExLabError, FieldTooLongError, ValidationError } from '@exlab/core/errors';
import { checkEquipmentId, checkProjectName } from '@exlab/core/paths';
import type { Config, EquipmentConfig, RunCreateRequest } from '@exlab/core/schemas';

/** The request's inputs after the gate: trimmed core fields and the configured equipment. */
export interface GatedRunInputs {
  equipment: EquipmentConfig;
  label: string;
  operator: string;
  objective: string;
}

function requireText(field: 'label' | 'operator' | 'objective', value: string, maxLength?: number): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError(`${field} cannot be empty.`, { field, details: { min_length: 1 } });
  if (maxLength !== undefined && trimmed.length > maxLength) throw new FieldTooLongError(field, maxLength, trimmed.length);
  return trimmed;
}

/**
 * The creation gate in the order of requirements B3; the first failure is thrown before
 * anything is written. Template and LIMS checks follow in the controller.
 */
export function gateRunRequest(config: Config, request: RunCreateRequest): GatedRunInputs {
  const equipment = config.equipment.find((e) => e.id === request.equipment_id);
  if (!equipment) {
    const configured = config.equipment.map((e) => e.id);
    throw new ValidationError(
      `Equipment "${request.equipment_id}" is not configured; configured: ${configured.length > 0 ? configured.join(', ') : '(none)'}.`,
      {
        code: 'equipment_not_configured',
        field: 'equipment_id',
        details: { allowed: configured },
      },
    );
  }
  const idProblems = checkEquipmentId(request.equipment_id);
  if (idProblems.length > 0) {
    throw new ExLabError('equipment_id_invalid', `Equipment id "${request.equipment_id}": ${idProblems.join('; ')}.`, {
      field: 'equipment_id',
    });
  }
  const nameProblems = checkProjectName(request.project_name);
  if (nameProblems.length > 0) {
    throw new ExLabError(
      'unsafe_project_name',
      `Project name "${request.project_name}" cannot be used as a folder name: ${nameProblems.map((p) => p.message).join('; ')}.`,
      {
        field: 'project_name',
        details: { problems: nameProblems },
      },
    );
  }
  const label = requireText('label', request.label, LIMITS.labelMaxLength);
  const operator = requireText('operator', request.operator);
  const allowlist = config.operators.allowlist;
  if (allowlist.length > 0 && !allowlist.includes(operator)) {
    throw new ValidationError(`Operator "${operator}" is not on the operator allowlist; allowed: ${allowlist.join(', ')}.`, {
      field: 'operator',
      details: { allowed: allowlist },
    });
  }
  const objective = requireText('objective', request.objective, LIMITS.objectiveMaxLength);
  return { equipment, label, operator, objective };
}
