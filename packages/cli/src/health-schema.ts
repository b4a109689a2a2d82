// Only ever imported dynamically (see tray-probe.ts): the /health schema pulls in zod, which the
// lifecycle commands load when they have an answer to check, not before they can act.
export { HealthSchema } from '@exlab/core/schemas';
