/**
 * Worker-thread entry of the audit (validator/audit.ts). A worker stays up between audits (so
 * its code stays compiled) and answers each `{ id, input }` message with its share's findings
 * and counters, walked with synchronous fs calls. Importing it on the main thread does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runAuditPart, type AuditPartInput, type AuditPartResult } from './audit-part.js';

/** A job sent to an audit worker. */
export interface AuditWorkerRequest {
  id: number;
  input: AuditPartInput;
}

/** An audit worker's answer to one job. */
export type AuditWorkerResponse = { id: number; result: AuditPartResult } | { id: number; error: string };

const port = parentPort;
if (!isMainThread && port !== null && (workerData as { exlabAuditWorker?: unknown } | null)?.exlabAuditWorker === true) {
  port.on('message', (request: AuditWorkerRequest) => {
    runAuditPart(request.input).then(
      (result) => port.postMessage({ id: request.id, result } satisfies AuditWorkerResponse),
      (error: unknown) =>
        port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies AuditWorkerResponse),
    );
  });
}
