/** The creation controller other lab tools embed. */
export { CreationController, type CreationControllerOptions, type CreationEvents } from './creation-controller.js';
export { SessionStore, toSessionHandle, isFinal, type Session } from './session-store.js';
export { gateRunRequest, type GatedRunInputs } from './creation-gate.js';
export { createRunTree, nasPathFor, type RunPlan, type RunOutcome } from './run-pipeline.js';
export { resolveLimsProject } from './lims-project.js';
