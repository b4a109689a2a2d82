import { access } from 'node:fs/promises';
import { evaluateSetupState, loadConfig } from '@exlab/core/config';
import type { Config, SetupStatus } from '@exlab/core/schemas';
import { ensureDemoLab, type DemoLab } from './demo-lab.js';

/** Where the tray's configuration came from. */
export interface ConfigSource {
  /** The loaded config, or null when the tray runs without one (setup incomplete). */
  config: Config | null;
  /** Its file, when there is one. */
  path: string | null;
  /** sha256 of the file, for the startup log line (L8). */
  digest: string | null;
  /** Set when the embedded demo lab is in use. */
  demo: DemoLab | null;
}

/** Inputs of {@link resolveConfigSource}. */
export interface ConfigSourceInput {
  /** `--config FILE`: must exist. */
  explicitPath?: string | undefined;
  /** The OS default config path (or `EXLAB_CONFIG`). */
  defaultPath: string;
  /** The per-user data folder where the demo lab lives. */
  dataDir: string;
  /** Do not create or use the demo lab. */
  noDemo?: boolean | undefined;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Picks the configuration: `--config` (must load), else the default file when it exists,
 * else the embedded demo lab (created on first use), else none. Invalid files throw ConfigError.
 */
export async function resolveConfigSource(input: ConfigSourceInput): Promise<ConfigSource> {
  if (input.explicitPath !== undefined) {
    const loaded = await loadConfig(input.explicitPath);
    return { config: loaded.config, path: input.explicitPath, digest: loaded.digest, demo: null };
  }
  if (await exists(input.defaultPath)) {
    const loaded = await loadConfig(input.defaultPath);
    return { config: loaded.config, path: input.defaultPath, digest: loaded.digest, demo: null };
  }
  if (input.noDemo) return { config: null, path: null, digest: null, demo: null };
  const demo = await ensureDemoLab(input.dataDir);
  const loaded = await loadConfig(demo.configPath);
  return { config: loaded.config, path: demo.configPath, digest: loaded.digest, demo };
}

/** The setup status of a config source; the keyring and live LIMS probes join with the LIMS step. */
export function setupStatusOf(config: Config | null): SetupStatus {
  return evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null });
}
