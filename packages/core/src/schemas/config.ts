import { z } from 'zod';
import {
  COMPLETENESS_SIGNALS,
  CONFIG_DEFAULTS,
  CORE_FIELD_IDS,
  DEFAULT_CONTENT_SCAN_EXTENSIONS,
  FIELD_ID_PATTERN,
  HH_MM_PATTERN,
  KEYRING,
  LOG_LEVELS,
  NAS_TRANSPORT_TYPES,
  README_FIELD_TYPES,
  STAGING_CLEANUP_MODES,
  STAGING_TRANSPORT_TYPES,
  SYNC_MODES,
  WEEKDAYS,
  type LogLevel,
} from '../constants/index.js';
import { equipmentIdProblems } from './equipment-id.js';
import { formatFieldPath, zodIssues, type FieldIssue } from './issues.js';

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/**
 * A strict object: unknown keys are rejected. The unrecognized-keys issue carries the allowed
 * keys as its message, which {@link configIssues} turns into one issue per unknown key.
 */
function block<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed fields: ${allowed}` : undefined) });
}

/** A trimmed string. */
const text = () => z.string().trim();
/** A trimmed string that must not be empty. */
const requiredText = () => z.string().trim().min(1, 'must not be empty');

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Cross-field checks run even when a field failed, so every problem is listed at once. */
const evenIfInvalid = { when: (payload: { value: unknown }) => isRecord(payload.value) };

// ---------------------------------------------------------------------------
// Equipment (§9, redesign §3.2)
// ---------------------------------------------------------------------------

/** Days listed once each, and `from` before `to`; tolerant of a partly invalid window so every problem is listed. */
function checkBandwidthWindow(window: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(window)) return;
  if (Array.isArray(window.days)) {
    const seen = new Set<unknown>();
    window.days.forEach((day: unknown, index) => {
      if (seen.has(day)) ctx.addIssue({ code: 'custom', path: ['days', index], message: `"${String(day)}" is listed twice` });
      seen.add(day);
    });
  }
  const { from, to } = window;
  if (typeof from === 'string' && typeof to === 'string' && HH_MM_PATTERN.test(from) && HH_MM_PATTERN.test(to) && from >= to) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `must be later than from (${from}); a window cannot cross midnight, so split it into two`,
    });
  }
}

/** One upload window of a bandwidth schedule (§7.1.7); local time, `from` < `to`, no wrap past midnight. */
export const BandwidthWindowSchema = block({
  days: z.array(z.enum(WEEKDAYS)).min(1, `must list at least one day (${WEEKDAYS.join(', ')})`),
  from: z.string().regex(HH_MM_PATTERN, 'expected a 24-hour time HH:MM such as 08:00'),
  to: z.string().regex(HH_MM_PATTERN, 'expected a 24-hour time HH:MM such as 18:00'),
}).superRefine((window, ctx) => checkBandwidthWindow(window, ctx), evenIfInvalid);
/** A bandwidth schedule window. */
export type BandwidthWindow = z.infer<typeof BandwidthWindowSchema>;

/** Upload limit of a NAS transport (§7.1.7): `upload_mbps` null means unlimited. */
export const BandwidthSchema = block({
  upload_mbps: z.number().positive('must be greater than 0 (leave it null for unlimited)').nullable().default(null),
  schedule: z.array(BandwidthWindowSchema).default([]),
});
/** A bandwidth limit. */
export type Bandwidth = z.infer<typeof BandwidthSchema>;

/** An absolute folder: `/...`, `C:\\...` or `C:/...`, or a `\\\\server\\share` path. */
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/** rclone transport: a remote from rclone.conf and the path under it. */
export const RcloneTransportSchema = block({
  type: z.literal('rclone'),
  // A leading "-" would be read as an option of rclone; ":" ends a remote's name.
  rclone_remote: requiredText().regex(
    /^[^-:][^:]*$/,
    'must be the name of a remote in rclone.conf, such as lab-nas (no ":", not starting with "-")',
  ),
  rclone_remote_path: requiredText(),
  bandwidth: BandwidthSchema.optional(),
});

/** rsync over SSH with key authentication only (§7.1). */
export const RsyncSshTransportSchema = block({
  type: z.literal('rsync_ssh'),
  ssh_target: requiredText().regex(/^[^-\s]\S*$/, 'must be user@host, such as sync@nas01 (no spaces, not starting with "-")'),
  ssh_key_path: requiredText().default(CONFIG_DEFAULTS.sshKeyPath),
  remote_path: requiredText(),
  bandwidth: BandwidthSchema.optional(),
});

/** Our addition: a NAS share mounted on this workstation at `path`, pushed with rsync (docs/decisions.md). */
export const LocalTransportSchema = block({
  type: z.literal('local'),
  path: requiredText().regex(ABSOLUTE_PATH, 'must be the absolute path of the mounted NAS share, such as /mnt/nas/lab'),
  bandwidth: BandwidthSchema.optional(),
});

/** How an equipment's runs reach the NAS, chosen by `type`. */
export const NasTransportSchema = z.discriminatedUnion('type', [RcloneTransportSchema, RsyncSshTransportSchema, LocalTransportSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `expected one of ${NAS_TRANSPORT_TYPES.join(', ')}` : undefined),
});
/** A NAS transport. */
export type NasTransport = z.infer<typeof NasTransportSchema>;

/** How a `stage` equipment's runs reach the connected PC's staging area (§13). */
export const StagingTransportSchema = block({
  type: z.enum(STAGING_TRANSPORT_TYPES),
  mount_point: text().optional(),
  staging_subpath: text().optional(),
});
/** A staging transport. */
export type StagingTransport = z.infer<typeof StagingTransportSchema>;

/** Rules between an equipment entry's fields; tolerant of a partly invalid entry so every problem is listed at once. */
function checkEquipmentEntry(entry: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(entry)) return;
  const signal = entry.completeness_signal;
  const filenameKey = signal === 'sentinel_file' ? 'sentinel_filename' : signal === 'manifest' ? 'manifest_filename' : undefined;
  if (filenameKey !== undefined) {
    const filename = entry[filenameKey];
    if (filename === undefined || (typeof filename === 'string' && filename.trim() === '')) {
      ctx.addIssue({ code: 'custom', path: [filenameKey], message: `required when completeness_signal is ${String(signal)}` });
    }
  }
  const mode = entry.sync_mode;
  const hasTransport = entry.transport !== undefined;
  const hasStaging = entry.orchestrator_staging_transport !== undefined;
  if (mode === 'nas') {
    if (!hasTransport)
      ctx.addIssue({
        code: 'custom',
        path: ['transport'],
        message: 'required when sync_mode is nas (this device syncs the runs straight to the NAS)',
      });
    if (hasStaging) {
      ctx.addIssue({
        code: 'custom',
        path: ['orchestrator_staging_transport'],
        message: 'not allowed when sync_mode is nas; remove it, or set sync_mode: stage and remove transport',
      });
    }
  } else if (mode === 'stage') {
    if (!hasStaging) {
      ctx.addIssue({
        code: 'custom',
        path: ['orchestrator_staging_transport'],
        message: 'required when sync_mode is stage (this device pushes the runs to a connected PC)',
      });
    }
    if (hasTransport) {
      ctx.addIssue({
        code: 'custom',
        path: ['transport'],
        message: 'not allowed when sync_mode is stage; the connected PC owns the NAS sync, so remove it',
      });
    }
  }
}

/** One equipment entry of config.yaml (§9, redesign §3.2). */
export const EquipmentConfigSchema = block({
  id: text().superRefine((id, ctx) => {
    for (const message of equipmentIdProblems(id)) ctx.addIssue({ code: 'custom', message });
  }),
  label: requiredText(),
  /** Absent: the equipment lives under `paths.local_root` (DECISIONS.md). */
  local_root: z.string().trim().min(1, 'must not be empty; leave the key out to use paths.local_root').optional(),
  nas_root: requiredText(),
  completeness_signal: z.enum(COMPLETENESS_SIGNALS),
  sentinel_filename: text().optional(),
  manifest_filename: text().optional(),
  sync_mode: z.enum(SYNC_MODES).default('nas'),
  transport: NasTransportSchema.optional(),
  orchestrator_staging_transport: StagingTransportSchema.optional(),
}).superRefine((entry, ctx) => checkEquipmentEntry(entry, ctx), evenIfInvalid);
/** An equipment entry. */
export type EquipmentConfig = z.infer<typeof EquipmentConfigSchema>;

// ---------------------------------------------------------------------------
// README defaults (§10.2, §10.3)
// ---------------------------------------------------------------------------

/** A choice field lists its options, and a default fits the field's type. */
function checkReadmeField(field: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(field)) return;
  const options: unknown[] | undefined = Array.isArray(field.options) ? field.options : undefined;
  if (field.type === 'choice' && (options === undefined || options.length === 0)) {
    ctx.addIssue({ code: 'custom', path: ['options'], message: 'a choice field needs a non-empty options list' });
  }
  const value = field.default;
  if (value === undefined) return;
  if (field.type === 'boolean' && typeof value !== 'boolean') {
    ctx.addIssue({ code: 'custom', path: ['default'], message: 'a boolean field needs a true or false default' });
  } else if (field.type !== 'boolean' && typeof value === 'boolean') {
    ctx.addIssue({ code: 'custom', path: ['default'], message: `a ${String(field.type)} field needs a text default` });
  } else if (field.type === 'choice' && typeof value === 'string' && value !== '' && options !== undefined && !options.includes(value)) {
    ctx.addIssue({ code: 'custom', path: ['default'], message: `must be one of the options: ${options.map(String).join(', ')}` });
  }
}

/** A lab-wide README field from `readme.defaults`; core field ids cannot be redeclared. */
export const ReadmeDefaultFieldSchema = block({
  id: text()
    .regex(FIELD_ID_PATTERN, 'must start with a lower-case letter and contain only a-z, 0-9 and _ (e.g. irb_protocol)')
    .refine((id) => !(CORE_FIELD_IDS as readonly string[]).includes(id), {
      message: `"label", "operator" and "objective" are core fields that are always present; choose another id`,
    }),
  label: requiredText(),
  type: z.enum(README_FIELD_TYPES).default('string'),
  required: z.boolean().default(false),
  default: z.union([text(), z.boolean()], { error: 'expected text, or true/false for a boolean field' }).optional(),
  options: z.array(requiredText()).optional(),
  hint: text().optional(),
}).superRefine((field, ctx) => checkReadmeField(field, ctx), evenIfInvalid);
/** A README default field. */
export type ReadmeDefaultField = z.infer<typeof ReadmeDefaultFieldSchema>;

/** Reports the second and later entries of the list at `listPath` that reuse an `id`. */
function uniqueIds(what: string, listPath: string) {
  return (entries: unknown, ctx: z.RefinementCtx): void => {
    if (!Array.isArray(entries)) return;
    const first = new Map<string, number>();
    entries.forEach((entry: unknown, index) => {
      const id = isRecord(entry) && typeof entry.id === 'string' ? entry.id.trim() : undefined;
      if (id === undefined || id === '') return;
      const earlier = first.get(id);
      if (earlier === undefined) first.set(id, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `duplicate ${what} id "${id}"; ${listPath}[${earlier}] already uses it`,
        });
    });
  };
}

const everyArray = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };

// ---------------------------------------------------------------------------
// The whole file (§9 + redesign §8)
// ---------------------------------------------------------------------------

const LogLevelSchema = z
  .string({ error: `expected one of ${LOG_LEVELS.join(', ')}` })
  .trim()
  .toUpperCase()
  .transform((level) => (level === 'WARNING' ? 'WARN' : level))
  .pipe(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')} (any case)` }));

const DEFAULT_LOG_LEVEL: LogLevel = CONFIG_DEFAULTS.logging.level;

/** The schema of config.yaml. Every block may be left out and takes its defaults; unknown keys are rejected everywhere. */
export const ConfigSchema = block({
  paths: block({
    templates_dir: text().default(''),
    plugin_dir: text().default(''),
    local_root: text().default(''),
  }).prefault({}),
  lims: block({
    endpoint: text()
      .refine((url) => url === '' || /^https?:\/\/[^\s/]+/i.test(url), 'must be an http:// or https:// URL, or empty')
      .default(''),
    email: text()
      .refine((email) => email === '' || /^[^\s@]+@[^\s@]+$/.test(email), 'must be an email address, or empty')
      .default(''),
    cache_ttl_hours: z.number().min(0).default(CONFIG_DEFAULTS.limsCacheTtlHours),
    offline_catalogue_path: text().default(''),
  }).prefault({}),
  readme: block({
    defaults: z.array(ReadmeDefaultFieldSchema).superRefine(uniqueIds('README field', 'readme.defaults'), everyArray).default([]),
  }).prefault({}),
  equipment: z.array(EquipmentConfigSchema).superRefine(uniqueIds('equipment', 'equipment'), everyArray).default([]),
  nas_cleanup: block({
    enabled: z.boolean().default(CONFIG_DEFAULTS.nasCleanup.enabled),
    min_verify_passes: z.number().int().min(1).default(CONFIG_DEFAULTS.nasCleanup.minVerifyPasses),
    min_age_hours: z.number().min(0).default(CONFIG_DEFAULTS.nasCleanup.minAgeHours),
    retain_cache: z.boolean().default(CONFIG_DEFAULTS.nasCleanup.retainCache),
  }).prefault({}),
  logging: block({
    level: LogLevelSchema.default(DEFAULT_LOG_LEVEL),
    central_log_max_mb: z.number().int().min(1).default(CONFIG_DEFAULTS.logging.centralLogMaxMb),
    central_log_keep: z.number().int().min(1).default(CONFIG_DEFAULTS.logging.centralLogKeep),
  }).prefault({}),
  operators: block({
    allowlist: z.array(requiredText()).default([]),
  }).prefault({}),
  validator: block({
    content_scan_max_mib: z.number().min(1).default(CONFIG_DEFAULTS.validator.contentScanMaxMib),
    content_scan_extensions: z
      .array(text().regex(/^\.[^./\\\s]+$/, 'must start with "." followed by the extension, e.g. ".txt"'))
      .default(() => [...DEFAULT_CONTENT_SCAN_EXTENSIONS]),
  }).prefault({}),
  plugins: block({
    allow_network: z.boolean().default(CONFIG_DEFAULTS.plugins.allowNetwork),
  }).prefault({}),
  sync: block({
    enabled: z.boolean().default(CONFIG_DEFAULTS.sync.enabled),
    retry_attempts: z.number().int().min(0).default(CONFIG_DEFAULTS.sync.retryAttempts),
  }).prefault({}),
  orchestrator: block({
    label: text().default(''),
    staging_root: text().default(''),
    staging_cleanup: block({
      mode: z.enum(STAGING_CLEANUP_MODES).default(CONFIG_DEFAULTS.stagingCleanup.mode),
      retain_hours: z.number().int().min(1).default(CONFIG_DEFAULTS.stagingCleanup.retainHours),
    }).prefault({}),
  }).prefault({}),
}).superRefine((config, ctx) => checkNasOverlap(config, ctx), evenIfInvalid);
/** A loaded config.yaml with every default applied. */
export type Config = z.output<typeof ConfigSchema>;
/** config.yaml as written by a person or a client (blocks and defaulted fields may be left out). */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** `path` with forward slashes, no doubled or trailing separator, for comparing folders. */
function folderKey(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1');
}

/** True when one folder is the other or holds it. */
function foldersOverlap(a: string, b: string): boolean {
  const [x, y] = [folderKey(a), folderKey(b)];
  return x === y || x.startsWith(`${y === '/' ? '' : y}/`) || y.startsWith(`${x === '/' ? '' : x}/`);
}

// A mounted-share NAS folder that is, holds or sits in the equipment's own folder would be a copy of a run onto itself.
function checkNasOverlap(config: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(config) || !Array.isArray(config.equipment)) return;
  const paths = isRecord(config.paths) ? config.paths : {};
  config.equipment.forEach((entry: unknown, index: number) => {
    if (!isRecord(entry) || !isRecord(entry.transport) || entry.transport.type !== 'local') return;
    const nas = entry.transport.path;
    const local = typeof entry.local_root === 'string' && entry.local_root !== '' ? entry.local_root : paths.local_root;
    if (typeof nas !== 'string' || nas.trim() === '' || typeof local !== 'string' || local.trim() === '') return;
    if (foldersOverlap(nas.trim(), local.trim())) {
      ctx.addIssue({
        code: 'custom',
        path: ['equipment', index, 'transport', 'path'],
        message: `overlaps the equipment's local folder ${local.trim()}; the NAS copy must be in another folder (the mounted share)`,
      });
    }
  });
}

/** The configuration an empty config.yaml stands for. */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** Messages for zod's built-in issues, worded for an operator reading config.yaml. */
function configErrorMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${String(issue.values[0])}` : `expected one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) return `expected one of ${issue.options.map(String).join(', ')}`;
      return undefined;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'array')
        return Number(issue.minimum) === 1 ? 'must not be empty' : `must have at least ${String(issue.minimum)} entries`;
      return issue.inclusive === false ? `must be greater than ${String(issue.minimum)}` : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.inclusive === false ? `must be less than ${String(issue.maximum)}` : `must be at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

const LIMS_PASSWORD_MESSAGE = `passwords are never stored in config.yaml; the LIMS password lives in the OS keyring (service "${KEYRING.service}", user "${KEYRING.limsUsername}"), set it in Settings`;
const TRANSPORT_PASSWORD_MESSAGE =
  'passwords are never stored in config.yaml; rsync_ssh authenticates with an SSH key (ssh_key_path) and rclone with its own rclone.conf, and credentials live in the OS keyring';
const ORCHESTRATOR_ENABLED_MESSAGE =
  'orchestrator.enabled was removed by the 2026-05 redesign: every workstation is an orchestrator; delete this key and set orchestrator.label and orchestrator.staging_root';

/** Message for an unknown key: a dedicated one for keys the product refuses on purpose. */
function unknownKeyMessage(loc: readonly (string | number)[], key: string, allowed: string | undefined): string {
  if (/pass(word|wd)?$/i.test(key)) return loc[0] === 'lims' ? LIMS_PASSWORD_MESSAGE : TRANSPORT_PASSWORD_MESSAGE;
  if (loc.length === 1 && loc[0] === 'orchestrator' && key === 'enabled') return ORCHESTRATOR_ENABLED_MESSAGE;
  return allowed === undefined ? `unknown field "${key}"` : `unknown field "${key}"; ${allowed}`;
}

/** Flattens a config validation error: one located issue per problem, one per unknown key, with operator wording. */
export function configIssues(error: z.ZodError): FieldIssue[] {
  const allowedByParent = new Map<string, string>();
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') allowedByParent.set(formatFieldPath(issue.path), issue.message);
  }
  return zodIssues(error).map((issue) => {
    if (issue.code !== 'unrecognized_keys') return issue;
    const parent = issue.loc.slice(0, -1);
    const key = String(issue.loc.at(-1));
    return { ...issue, message: unknownKeyMessage(parent, key, allowedByParent.get(formatFieldPath(parent))) };
  });
}

/** Outcome of {@link validateConfig}. */
export type ConfigValidation<T = Config> = { success: true; data: T } | { success: false; issues: FieldIssue[] };

function validateWith<S extends z.ZodType>(schema: S, raw: unknown): ConfigValidation<z.output<S>> {
  // jitless: a config is validated once per load; compiling zod's eval fast path for each of its
  // objects costs more than that one walk (about half the validation of a tray's start).
  const result = schema.safeParse(raw, { error: configErrorMessage, jitless: true });
  return result.success ? { success: true, data: result.data } : { success: false, issues: configIssues(result.error) };
}

/** Validates parsed config.yaml content (or a `PUT /config` body) and applies defaults; every issue is listed. */
export function validateConfig(raw: unknown): ConfigValidation<Config> {
  return validateWith(ConfigSchema, raw);
}

/** Validates one equipment entry (the Add-Equipment wizard's body) with the same rules and wording. */
export function validateEquipmentConfig(raw: unknown): ConfigValidation<EquipmentConfig> {
  return validateWith(EquipmentConfigSchema, raw);
}
