import { LOOPBACK_HOST } from '@exlab/core/constants';

/** What the tray answered. */
export interface LoopbackResponse {
  /** HTTP status code. */
  status: number;
  /** The body as text. */
  body: string;
}

/** One request of {@link loopbackRequest}. */
export interface LoopbackRequest {
  /** GET unless given. */
  method?: string;
  /** Request headers (the Host header is always `127.0.0.1:<port>`). */
  headers?: Record<string, string>;
  /** JSON-serialised and sent with `content-type: application/json`. */
  json?: unknown;
  /** Rejects when no whole answer came within this long. */
  timeoutMs: number;
}

/** Loads `node:http` now (as {@link loopbackRequest} would on its first call), e.g. while a tray starts. */
export function preloadLoopbackHttp(): void {
  process.getBuiltinModule('node:http');
}

/**
 * One HTTP request to the tray on 127.0.0.1 through `node:http`, on a fresh connection. The
 * lifecycle commands use it instead of `fetch`, whose first call loads undici: about 230 M
 * instructions, more than the rest of `exlab stop` or `exlab status` together. Rejects on a
 * connection error or a timeout.
 */
export function loopbackRequest(port: number, path: string, options: LoopbackRequest): Promise<LoopbackResponse> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  // Not `import ... from 'node:http'`: Node builds that ESM view by reading every export of the
  // module, and reading http.WebSocket loads undici (about 200 M instructions of a CLI run). Got
  // here, not at import: `exlab start` needs no HTTP before it has launched the tray.
  const { request } = process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: LOOPBACK_HOST,
        port,
        path,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
