import { access } from 'node:fs/promises';
import type { Config, ProbeResult } from '@exlab/core/schemas';

/** How long a readability check of the offline catalogue answers health polls (they come every few seconds per window, or thousands a second from a script). */
const CATALOGUE_CHECK_REUSE_MS = 1_000;

/** The LIMS component of `/health` (requirements C7). */
export type LimsHealth = {
  status: 'ok' | 'warn';
  reason?: string;
  /** Where projects come from: the offline catalogue, the LIMS endpoint, or nowhere yet. */
  source: 'offline_catalogue' | 'endpoint' | 'none';
  /** Result of the last `POST /setup/test-lims`: null when none ran since start. */
  reachable: boolean | null;
  latency_ms?: number;
};

/**
 * What the server knows of the LIMS: the config says which source is in use, and the last
 * `POST /setup/test-lims` says whether the endpoint answered. Health reads it on every call, so
 * it only checks that the offline catalogue file is readable; it never calls the LIMS itself.
 */
export class LimsStatus {
  #last: ProbeResult | null = null;
  /** The last readability check of the offline catalogue; health polls reuse it for a moment. */
  #catalogue: { path: string; readable: boolean; at: number } | null = null;

  /** The catalogue's readability: at once while the last check is recent, else after a new check. */
  #catalogueReadable(path: string): boolean | Promise<boolean> {
    const now = performance.now();
    const known = this.#catalogue;
    if (known !== null && known.path === path && now - known.at < CATALOGUE_CHECK_REUSE_MS) return known.readable;
    return access(path).then(
      () => this.#remember(path, true, now),
      () => this.#remember(path, false, now),
    );
  }

  #remember(path: string, readable: boolean, at: number): boolean {
    this.#catalogue = { path, readable, at };
    return readable;
  }

  /** Records the result of a LIMS probe. */
  record(result: ProbeResult): void {
    this.#last = result;
  }

  /** The LIMS component for `config`; synchronous unless the catalogue needs a fresh check. */
  health(config: Config | null): LimsHealth | Promise<LimsHealth> {
    const reachable = this.#last?.ok ?? null;
    const catalogue = config?.lims.offline_catalogue_path.trim() ?? '';
    if (catalogue !== '') {
      const readable = this.#catalogueReadable(catalogue);
      return typeof readable === 'boolean'
        ? catalogueHealth(catalogue, readable, reachable)
        : readable.then((known) => catalogueHealth(catalogue, known, reachable));
    }
    if ((config?.lims.endpoint.trim() ?? '') === '')
      return { status: 'warn', reason: 'no LIMS configured; set one in Settings', source: 'none', reachable: null };
    if (this.#last === null) return { status: 'ok', source: 'endpoint', reachable: null };
    if (!this.#last.ok) return { status: 'warn', reason: 'unreachable; using cache', source: 'endpoint', reachable: false };
    return {
      status: 'ok',
      source: 'endpoint',
      reachable: true,
      ...(this.#last.latency_ms !== undefined ? { latency_ms: this.#last.latency_ms } : {}),
    };
  }
}

function catalogueHealth(path: string, readable: boolean, reachable: boolean | null): LimsHealth {
  return readable
    ? { status: 'ok', source: 'offline_catalogue', reachable }
    : { status: 'warn', reason: `the offline catalogue ${path} cannot be read`, source: 'offline_catalogue', reachable };
}
