import { loadConfig } from '@exlab/core/config';
import type { Config } from '@exlab/core/schemas';
import { CreationController, type CreationControllerOptions } from './creation-controller.js';
import { defaultPorts } from './default-ports.js';

/** Options of {@link createDefaultController}: everything but the config source. */
export type DefaultControllerOptions = Omit<CreationControllerOptions, 'getConfig'>;

/**
 * A controller wired to the real implementations of every port (template engine, README
 * generator, CacheWriter, validator, LIMS catalogue, plugin host). `source` is a loaded config,
 * a function returning the current one (so config changes apply live), or the path of a
 * config.yaml to load. Resolves once the start-up sweep of interrupted creations is done (§4.8).
 */
export async function createDefaultController(
  source: Config | (() => Config | null) | string,
  options: DefaultControllerOptions = {},
): Promise<CreationController> {
  let getConfig: () => Config | null;
  if (typeof source === 'function') getConfig = source;
  else if (typeof source === 'string') {
    const { config } = await loadConfig(source);
    getConfig = () => config;
  } else getConfig = () => source;
  const controller = new CreationController({
    ...options,
    getConfig,
    ports: {
      ...defaultPorts({ getConfig, clock: options.clock, logger: options.logger, logDir: options.logDir }),
      ...options.ports,
    },
  });
  await controller.recovery();
  return controller;
}
