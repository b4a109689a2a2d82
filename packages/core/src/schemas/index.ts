/** Browser-safe zod schemas of the API wire format and the cache files (zod + constants only). */
export * from './issues.js';
export * from './time.js';
export * from './timestamp.js';
export * from './creation.js';
export * from './readme-fields.js';
export * from './ingest.js';
export * from './api.js';
export * from './api-routes.js';
export * from './server-info.js';
export * from './run-status.js';
export * from './app-control.js';
export * from './config.js';
export * from './equipment-id.js';
export * from './finding.js';
export * from './sync-job.js';
