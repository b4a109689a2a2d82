/** The creation controller other lab tools embed. */
export { CreationController, type CreationControllerOptions, type CreationEvents, type CancelOptions } from './creation-controller.js';
export { createDefaultController, type DefaultControllerOptions } from './default-controller.js';
export {
  SessionStore,
  toSessionHandle,
  type Session,
  type SessionOutcome,
  type SessionTimers,
  type SessionStoreOptions,
  type SessionGcOptions,
} from './session-store.js';
export { SESSION_EDGES, isLegalTransition, assertTransition, isFinal, phaseFrameOf, currentPhaseOf } from './session-states.js';
export {
  sessionMachine,
  publicStateOf,
  PromptChannel,
  type SessionSteps,
  type SessionMachineEvent,
  type SessionSnapshot,
  type PromptAnswer,
  type CancelRequest,
} from './session-machine.js';
export { toSessionError, fromSessionError } from './session-error.js';
export { parseCreationRequest, type CreationRequestInput } from './request.js';
export { gateRunRequest, gateProjectRequest, type GatedRunInputs } from './creation-gate.js';
export { planCreation, nasPathFor, type CreationPlan, type PlanContext } from './creation-plan.js';
export { CreationJob, temporaryFolderFor, type CreationJobDeps } from './creation-job.js';
export { sweepInterruptedCreations, type InterruptedCreation, type SweepOptions } from './crash-recovery.js';
export { resolveLimsProject, resolveNewProjectLims } from './lims-project.js';
export { defaultPorts, corePluginHost, coreNasSync, type DefaultPortsOptions, type DefaultPluginPort } from './default-ports.js';
export { coreTemplateEngine, coreReadmeGenerator, coreCacheWriter, coreValidator, coreLims } from './core-ports.js';
export type {
  CreationPorts,
  TemplateEnginePort,
  ReadmeGeneratorPort,
  CacheWriterPort,
  ValidatorPort,
  TreeCheckInput,
  LimsPort,
  NasSyncPort,
  SyncEnqueueRequest,
  SyncQueueStats,
  PluginHostStatus,
  PluginPassPort,
  PluginPassOptions,
  PluginPassResult,
  PluginPassContext,
  PluginInputPrompt,
  PluginPromptField,
} from './ports.js';
