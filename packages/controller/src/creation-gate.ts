import { LIMITS } from '@exlab/core/constants';
import { ExLabError, FieldTooLongError, ValidationError } from '@exlab/core/errors';
import { checkEquipmentId, checkProjectName } from '@exlab/core/paths';
import type { Config, EquipmentConfig, ProjectCreateRequest, RunCreateRequest } from '@exlab/core/schemas';

/** The request's inputs after the gate: trimmed core fields and the configured equipment. */
export interface GatedRunInputs {
  equipment: EquipmentConfig;
  label: string;
  operator: string;
  objective: string;
}

/** What steps 1-9 of the gate read from either kind of request. */
interface CoreInputs {
  equipment_id: string;
  /** The project folder name and the request field it came from. */
  projectName: string;
  projectField: string;
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
 * Steps 1-9 of the creation gate in the order of requirements B3; the first failure is thrown
 * before anything is written. The template (10), README fields (11), LIMS project and
 * destination checks follow in the planner.
 */
function gateCoreInputs(config: Config, input: CoreInputs): GatedRunInputs {
  const equipment = config.equipment.find((e) => e.id === input.equipment_id);
  if (!equipment) {
    const configured = config.equipment.map((e) => e.id);
    throw new ValidationError(
      `Equipment "${input.equipment_id}" is not configured; configured: ${configured.length > 0 ? configured.join(', ') : '(none)'}.`,
      {
        code: 'equipment_not_configured',
        field: 'equipment_id',
        details: { allowed: configured },
      },
    );
  }
  const idProblems = checkEquipmentId(input.equipment_id);
  if (idProblems.length > 0) {
    throw new ExLabError('equipment_id_invalid', `Equipment id "${input.equipment_id}": ${idProblems.join('; ')}.`, {
      field: 'equipment_id',
    });
  }
  const nameProblems = checkProjectName(input.projectName);
  if (nameProblems.length > 0) {
    throw new ExLabError(
      'unsafe_project_name',
      `Project name "${input.projectName}" cannot be used as a folder name: ${nameProblems.map((p) => p.message).join('; ')}.`,
      {
        field: input.projectField,
        details: { problems: nameProblems },
      },
    );
  }
  const label = requireText('label', input.label, LIMITS.labelMaxLength);
  const operator = requireText('operator', input.operator);
  const allowlist = config.operators.allowlist;
  if (allowlist.length > 0 && !allowlist.includes(operator)) {
    throw new ValidationError(`Operator "${operator}" is not on the operator allowlist; allowed: ${allowlist.join(', ')}.`, {
      field: 'operator',
      details: { allowed: allowlist },
    });
  }
  const objective = requireText('objective', input.objective, LIMITS.objectiveMaxLength);
  return { equipment, label, operator, objective };
}

/** Steps 1-9 of the gate (requirements B3) for a run request. */
export function gateRunRequest(config: Config, request: RunCreateRequest): GatedRunInputs {
  return gateCoreInputs(config, { ...request, projectName: request.project_name, projectField: 'project_name' });
}

/** Steps 1-9 of the gate (requirements B3) for a project request; the folder is named after the LIMS project. */
export function gateProjectRequest(config: Config, request: ProjectCreateRequest): GatedRunInputs {
  return gateCoreInputs(config, { ...request, projectName: request.lims_project.name, projectField: 'lims_project.name' });
}
