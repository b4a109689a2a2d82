import { TemplateLoadError, ValidationError } from '../errors/index.js';
import { createTemplateEnvironment, renderString } from './environment.js';
import type { TemplateManifest, TemplateQuestion } from './manifest.js';

function coerce(question: TemplateQuestion, value: unknown, template: string): unknown {
  const fail = (): never => {
    throw new ValidationError(
      `Template "${template}": answer ${JSON.stringify(value)} for "${question.name}" is not a valid ${question.type}.`,
      {
        field: `variables.${question.name}`,
        details: { template, expected_type: question.type },
      },
    );
  };
  switch (question.type) {
    case 'int': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) ? n : fail();
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : fail();
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && ['true', 'yes', 'on', '1'].includes(value.toLowerCase())) return true;
      if (typeof value === 'string' && ['false', 'no', 'off', '0'].includes(value.toLowerCase())) return false;
      return fail();
    }
    case 'str':
      return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : fail();
    default:
      return value;
  }
}

// A Jinja syntax error in a default is the template's fault, not the operator's.
function renderDefault(
  env: ReturnType<typeof createTemplateEnvironment>,
  question: TemplateQuestion,
  context: Record<string, unknown>,
  template: string,
): string {
  try {
    return renderString(env, question.default as string, context);
  } catch (error) {
    throw new TemplateLoadError(
      `Template "${template}": the default of "${question.name}" could not be rendered: ${(error as Error).message}`,
      {
        field: `${question.name}.default`,
        details: { template },
        cause: error,
      },
    );
  }
}

/**
 * Resolves every question's answer (core.md D3, D6): a provided answer wins, else the default
 * (rendered first when it is a template string), else a `validation_failed` error; never a prompt.
 * Choices are enforced. Returns the answers in question order.
 */
export function resolveAnswers(
  manifest: TemplateManifest,
  provided: Readonly<Record<string, unknown>>,
  baseContext: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const env = createTemplateEnvironment();
  const answers: Record<string, unknown> = {};
  for (const question of manifest.questions) {
    let value: unknown;
    if (Object.hasOwn(provided, question.name) && provided[question.name] !== undefined) {
      value = provided[question.name];
    } else if (question.default !== undefined && question.default !== null) {
      value =
        typeof question.default === 'string'
          ? renderDefault(env, question, { ...baseContext, ...answers }, manifest.name)
          : question.default;
    } else {
      throw new ValidationError(`Template "${manifest.name}" needs an answer for "${question.name}" and declares no default.`, {
        field: `variables.${question.name}`,
        details: { template: manifest.name },
      });
    }
    value = coerce(question, value, manifest.name);
    if (question.choices !== undefined && !question.choices.some((choice) => choice === value)) {
      throw new ValidationError(
        `Template "${manifest.name}": "${String(value)}" is not a choice of "${question.name}"; allowed: ${question.choices.map(String).join(', ')}.`,
        {
          field: `variables.${question.name}`,
          details: { template: manifest.name, allowed: question.choices },
        },
      );
    }
    answers[question.name] = value;
  }
  return answers;
}
