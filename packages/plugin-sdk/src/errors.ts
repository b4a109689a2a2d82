import type { PluginInputField, PluginInputFieldType } from './types.js';

/**
 * The errors a plugin throws (§6.1.3). Each carries a plain `exlab` brand so the worker
 * recognises it even when the plugin bundles its own copy of this package (A1).
 */

/** A non-recoverable failure of the plugin: the worker exits 1 and the host records `failed`. */
export class PluginError extends Error {
  /** Brand the worker checks instead of `instanceof`. */
  readonly exlab = 'plugin_error' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
  }
}

/** An input field as a plugin may write it: everything but `id` has a default. */
export interface PluginInputFieldInit {
  id: string;
  /** Defaults to the id with underscores as spaces. */
  label?: string | undefined;
  /** Defaults to `string`. */
  type?: PluginInputFieldType | undefined;
  /** Defaults to true. */
  required?: boolean | undefined;
  default?: unknown;
  options?: string[] | undefined;
  hint?: string | undefined;
}

/** Completes an input field with its defaults. */
export function inputField(init: PluginInputFieldInit): PluginInputField {
  const field: PluginInputField = {
    id: init.id,
    label: init.label ?? init.id.replaceAll('_', ' '),
    type: init.type ?? 'string',
    required: init.required ?? true,
  };
  if (init.default !== undefined) field.default = init.default;
  if (init.options !== undefined) field.options = [...init.options];
  if (init.hint !== undefined) field.hint = init.hint;
  return field;
}

/**
 * The plugin needs an input only the operator can give (§6.4). The worker exits 2; the host
 * asks the operator and runs the plugin again from the file that raised it, with the answers
 * in `ctx.extra_inputs`.
 */
export class PluginInputRequired extends Error {
  /** Brand the worker checks instead of `instanceof`. */
  readonly exlab = 'input_required' as const;
  /** The inputs to ask for. */
  readonly fields: PluginInputField[];
  /** Short sentence shown to the operator. */
  readonly reason: string;

  constructor(fields: readonly PluginInputFieldInit[], reason: string) {
    super(reason);
    this.name = 'PluginInputRequired';
    this.fields = fields.map(inputField);
    this.reason = reason;
  }
}

/** Shape of a branded plugin error, from any copy of the SDK. */
export interface PluginErrorLike {
  exlab: 'plugin_error';
  message: string;
}

/** Shape of a branded input request, from any copy of the SDK. */
export interface PluginInputRequiredLike {
  exlab: 'input_required';
  fields: PluginInputFieldInit[];
  reason: string;
}

function brandOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { exlab?: unknown }).exlab : undefined;
}

/** True for a {@link PluginError} from this or any other copy of the SDK. */
export function isPluginError(value: unknown): value is PluginErrorLike {
  return brandOf(value) === 'plugin_error';
}

/** True for a {@link PluginInputRequired} from this or any other copy of the SDK. */
export function isPluginInputRequired(value: unknown): value is PluginInputRequiredLike {
  return brandOf(value) === 'input_required' && Array.isArray((value as { fields?: unknown }).fields);
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
