import { EXIT_CODES } from '@exlab/core/constants';
import { evaluateSetupState, loadConfig } from '@exlab/core/config';
import { describeError, ExLabError } from '@exlab/core/errors';
import { resolveAppDirs } from '@exlab/core/paths';
import type { Output } from '../output.js';

/** `exlab config check [FILE]`: exit 0 when the file is valid, 1 with every problem listed when not. */
export async function configCheckCommand(
  file: string | undefined,
  output: Output,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const path = file ?? resolveAppDirs({ env }).configFile;
  try {
    const { config } = await loadConfig(path);
    const setup = evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null });
    output.out(`${path}: valid (${config.equipment.length} equipment; setup state ${setup.state})`);
    for (const missing of setup.missing) output.out(`  still to set: ${missing.field} (${missing.reason})`);
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof ExLabError && error.code === 'config_not_found' && file === undefined) {
      output.err(`No config at ${path}. "exlab start" uses the embedded demo lab until you save one.`);
    } else {
      output.err(describeError(error).replace(/^config_(invalid|not_found): /, ''));
    }
    return EXIT_CODES.failure;
  }
}
