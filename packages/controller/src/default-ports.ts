import { join } from 'node:path';
import { CacheWriter } from '@exlab/core/cache';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { resolveAppDirs } from '@exlab/core/paths';
import { PluginHost, PluginRegistry, type PluginReloadResult } from '@exlab/core/plugins';
import type { Config } from '@exlab/core/schemas';
import type { NasSync } from '@exlab/core/sync';
import { describeError } from '@exlab/core/errors';
import { coreCacheWriter, coreLims, coreReadmeGenerator, coreTemplateEngine, coreValidator } from './core-ports.js';
import type { CreationPorts, NasSyncPort, PluginHostStatus, PluginPassPort } from './ports.js';

/** What the real ports need. */
export interface DefaultPortsOptions {
  getConfig: () => Config | null;
  clock?: () => Date;
  logger?: Logger;
  /** Plugin stderr logs go to `<logDir>/<plugin>/<session>.stderr`; default `<OS log dir>/plugins`. */
  logDir?: string | undefined;
  /** Root of the plugins shipped with the app; default the bundled root of `@exlab/core`, null for none. */
  bundledRoot?: string | null | undefined;
}

/** The plugin port with the status health reads. */
export interface DefaultPluginPort extends PluginPassPort {
  status(): PluginHostStatus | Promise<PluginHostStatus>;
  /** Worker processes running now. */
  liveWorkers(): number;
}

/**
 * The real plugin host (§6) behind the plugin port. The registry is rebuilt from the bundled root
 * and `paths.plugin_dir` before each pass, so a plugin added, removed or a config change applies
 * to the next creation without a restart (manifests only are read; plugin code runs in workers).
 */
export function corePluginHost(options: DefaultPortsOptions): DefaultPluginPort {
  const logger = options.logger ?? createNullLogger();
  const logDir = options.logDir ?? join(resolveAppDirs().logDir, 'plugins');
  let current: {
    labRoot: string;
    allowNetwork: boolean;
    registry: PluginRegistry;
    host: PluginHost;
    last: PluginReloadResult | null;
  } | null = null;
  const hosts: PluginHost[] = [];
  // Called on every /health poll: the two settings are compared as they are, not encoded into a key.
  const hostFor = (config: Config | null): NonNullable<typeof current> => {
    const labRoot = config?.paths.plugin_dir ?? '';
    const allowNetwork = config?.plugins.allow_network ?? false;
    if (current === null || current.labRoot !== labRoot || current.allowNetwork !== allowNetwork) {
      const registry = new PluginRegistry({
        labRoot,
        allowNetwork,
        logger,
        ...(options.bundledRoot !== undefined ? { bundledRoot: options.bundledRoot } : {}),
      });
      const host = new PluginHost({ registry, logDir, logger });
      hosts.push(host);
      current = { labRoot, allowNetwork, registry, host, last: null };
    }
    return current;
  };
  return {
    runPass: async (pass) => {
      const entry = hostFor(options.getConfig());
      entry.last = await entry.registry.reload();
      return entry.host.runPass(pass);
    },
    shutdown: async (graceMs) => {
      await Promise.all(hosts.map((host) => host.shutdown(graceMs)));
    },
    liveWorkers: () => hosts.reduce((sum, host) => sum + host.liveWorkers(), 0),
    // The manifests are read once per config (and again by every pass), not on every health poll;
    // once read, the status is answered at once, without a promise.
    status: () => {
      const entry = hostFor(options.getConfig());
      const summary = (last: PluginReloadResult): PluginHostStatus => ({
        registered_plugins: last.loaded.length,
        rejected: last.rejected.map(({ dir, code, reason }) => ({ dir, code, reason })),
        live_workers: hosts.reduce((sum, host) => sum + host.liveWorkers(), 0),
      });
      if (entry.last !== null) return summary(entry.last);
      return entry.registry.reload().then((last) => summary((entry.last ??= last)));
    },
  };
}

/**
 * The NAS sync module of `@exlab/core/sync` as the sync port. It may still be opening (the tray
 * opens the queue beside its server start): creations wait for it. When it could not be opened,
 * enqueueing fails (a warning of the session, which still ends done) and health names the reason.
 */
export function coreNasSync(sync: Promise<NasSync>): NasSyncPort {
  let opened: NasSync | null = null;
  let failure: string | null = null;
  sync.then(
    (value) => (opened = value),
    (error: unknown) => (failure = describeError(error)),
  );
  return {
    enqueue: async (request) => {
      // The post-creation validation ran the pre-sync gate's engine over this tree a moment ago.
      await (await sync).enqueue({ path: request.path, equipmentId: request.equipmentId, level: request.level }, { gate: false });
    },
    stats: () => {
      if (failure !== null) return { queue_depth: 0, in_flight: 0, error: failure };
      return opened === null ? { queue_depth: 0, in_flight: 0 } : opened.stats();
    },
  };
}

/** Every port backed by `@exlab/core` but NAS sync, which needs a queue file (pass {@link coreNasSync} as `ports.sync`). */
export function defaultPorts(options: DefaultPortsOptions): CreationPorts {
  const cache = new CacheWriter({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    templates: coreTemplateEngine(),
    readme: coreReadmeGenerator(cache),
    cache: coreCacheWriter(cache),
    validator: coreValidator(),
    lims: coreLims(),
    plugins: corePluginHost(options),
  };
}
