import type { NextAction, SetupState } from '../constants/index.js';
import type { SetupStatus } from '../schemas/api.js';
import type { Config } from '../schemas/config.js';

export type { SetupStatus };

/** One thing setup still needs (§4.9.3), e.g. `{ field: "paths.local_root", reason: "unset" }`; reasons are `unset`, `empty`, `missing` and `missing_in_keyring`. */
export type SetupMissing = SetupStatus['missing'][number];

/** What the setup evaluation looks at. */
export interface SetupStateInput {
  /** The loaded config, or null when config.yaml does not exist. */
  config: Config | null;
  /** Whether the OS keyring holds the LIMS password. */
  limsPasswordPresent: boolean;
  /** Result of the last LIMS health check; null when not checked yet. */
  limsReachable: boolean | null;
}

function status(state: SetupState, missing: SetupMissing[], nextAction: NextAction | null): SetupStatus {
  return { state, missing, next_action: nextAction, ready: state === 'ready' };
}

/** `unset` entries for the fields of `block` that are empty, in the order given. */
function unset(block: string, values: Readonly<Record<string, string>>): SetupMissing[] {
  // A plain loop over the keys: the tray evaluates this on every gated request and every /health poll.
  const missing: SetupMissing[] = [];
  for (const key in values) if (values[key]?.trim() === '') missing.push({ field: `${block}.${key}`, reason: 'unset' });
  return missing;
}

/**
 * The setup state (§4.9.1, redesign §3.1, requirements core.md C5). Gates are checked in order and
 * the first failing one is reported with what is missing and the onboarding step to show next.
 */
export function evaluateSetupState(input: SetupStateInput): SetupStatus {
  const { config } = input;
  if (config === null) return status('incomplete_no_config', [{ field: 'config.yaml', reason: 'missing' }], 'set_paths');

  const paths = unset('paths', {
    templates_dir: config.paths.templates_dir,
    plugin_dir: config.paths.plugin_dir,
    local_root: config.paths.local_root,
  });
  if (paths.length > 0) return status('incomplete_missing_paths', paths, 'set_paths');

  const orchestrator = unset('orchestrator', { label: config.orchestrator.label, staging_root: config.orchestrator.staging_root });
  if (orchestrator.length > 0) return status('incomplete_no_orchestrator', orchestrator, 'set_paths');

  if (config.equipment.length === 0) return status('incomplete_no_equipment', [{ field: 'equipment', reason: 'empty' }], 'add_equipment');

  // §7.2.9: an offline catalogue, or endpoint + email + keyring password, satisfies the LIMS slot.
  const { lims } = config;
  const hasCatalogue = lims.offline_catalogue_path.trim() !== '';
  const hasLogin = lims.endpoint.trim() !== '' && lims.email.trim() !== '';
  const viaEndpoint = hasLogin && input.limsPasswordPresent;
  if (!hasCatalogue && !viaEndpoint) {
    const missing = hasLogin
      ? [{ field: 'lims.password', reason: 'missing_in_keyring' }]
      : unset('lims', { endpoint: lims.endpoint, email: lims.email });
    return status('incomplete_no_lims', missing, 'configure_lims');
  }

  // §4.9.4: a soft block, only meaningful when the LIMS is reached over the network.
  if (viaEndpoint && input.limsReachable === false) return status('incomplete_lims_unreachable', [], 'test_lims');

  return status('ready', [], null);
}
