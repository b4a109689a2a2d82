import { RUN_KIND_FOLDER, RUN_KIND_PREFIX, type RunKind, type SyncStatus } from '@exlab/core/constants';
import { runStamp } from '@exlab/core/paths';
import { PROBLEM_KINDS, type ProblemKind } from './seeded-problems.js';
import { SeededRandom } from './seeded-random.js';

/** What to generate. */
export interface LabOptions {
  /** Number of runs. */
  runs: number;
  /** Share of runs (0..1) that get one seeded problem each. */
  problems: number;
  /** PRNG seed; equal seeds give byte-identical labs. */
  seed?: string | number;
  /** Number of equipment (default 3). */
  equipment?: number;
}

/** One configured instrument. */
export interface EquipmentPlan {
  id: string;
  label: string;
}

/** A seeded problem assigned to a run. */
export interface AssignedProblem {
  kind: ProblemKind;
  variant: number;
}

/** One run to generate. */
export interface RunPlan {
  /** Position among all runs (0-based). */
  index: number;
  /** Kind folder it sits in, leaf prefix, and run_kind recorded in creation.json. */
  folder: RunKind;
  leaf: RunKind;
  recorded: RunKind;
  /** Minute of the run folder's stamp. */
  stamp: Date;
  /** creation.json `created_at` (within the stamp's minute). */
  createdAt: Date;
  operator: string;
  sampleId: string;
  label: string;
  objectiveLens: string;
  laserPowerPct: number;
  syncStatus: SyncStatus;
  problem: AssignedProblem | null;
  /** Clean runs that also carry look-alikes which must not be findings. */
  lookAlikes: boolean;
}

/** One project folder. */
export interface ProjectPlan {
  equipmentId: string;
  /** Folder name: the LIMS project name as written. */
  name: string;
  shortId: string;
  uid: string;
  createdAt: Date;
  /** No creation.json at all (a seeded orphan project). */
  orphan: boolean;
  runs: RunPlan[];
}

/** The whole lab, before anything is written. */
export interface LabPlan {
  seed: string;
  equipment: EquipmentPlan[];
  projects: ProjectPlan[];
  runCount: number;
  problemCount: number;
}

const EQUIPMENT_POOL: readonly (readonly [string, string])[] = [
  ['CONFOCAL_01', 'Confocal Microscope 1'],
  ['FLOW_01', 'Flow Cytometer 1'],
  ['SEM_01', 'Scanning Electron Microscope'],
  ['MASS_SPEC_01', 'Mass Spectrometer 1'],
  ['LIGHTSHEET_01', 'Light-sheet Microscope'],
  ['PLATE_READER_01', 'Plate Reader 1'],
  ['CRYO_EM_01', 'Cryo-EM Krios'],
  ['NMR_01', 'NMR 600 MHz'],
];

const PROJECT_POOL = [
  'Cortex Q3 Pilot',
  'Zebrafish Heart Atlas',
  'Mito Dynamics',
  'Tumor Spheroid Screen',
  'Root Hair Growth',
  'Synapse Density Map',
  'Yeast Stress Panel',
  'Organoid Timecourse',
  'Biofilm Imaging',
  'Retina Layering',
] as const;

const OPERATORS = ['asmith', 'bchen', 'cdiaz', 'dkumar', 'eolsen'] as const;
const RUN_LABELS = ['Calibration sweep', 'Baseline acquisition', 'Dose response', 'Time-lapse', 'Replicate', 'Z-stack'] as const;
const LENSES = ['10x air', '20x air', '40x oil', '63x oil'] as const;

/** Fixed origin of every date in a generated lab (runs follow every 7 minutes). */
export const LAB_EPOCH = Date.UTC(2025, 0, 6, 8, 0, 0);
const RUN_STRIDE_MS = 7 * 60_000;

/** Folder of a run relative to its project: `Runs/Run_<stamp>` (or the seeded mismatch). */
export function runRelativePath(run: RunPlan): string {
  return `${RUN_KIND_FOLDER[run.folder]}/${RUN_KIND_PREFIX[run.leaf]}${runStamp(run.stamp)}`;
}

function equipmentPlans(count: number): EquipmentPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const known = EQUIPMENT_POOL[i];
    return known ? { id: known[0], label: known[1] } : { id: `INSTRUMENT_${String(i + 1).padStart(2, '0')}`, label: `Instrument ${i + 1}` };
  });
}

function syncStatusOf(rng: SeededRandom): SyncStatus {
  const roll = rng.next();
  if (roll < 0.7) return 'pending';
  if (roll < 0.9) return 'synced';
  return roll < 0.95 ? 'cleaned' : 'failed';
}

/**
 * Plans a lab deterministically: which runs exist, which projects and equipment hold them,
 * and which runs carry one seeded problem. A share `problems` of the runs, chosen by the seed,
 * cycle through {@link PROBLEM_KINDS} in run order so every class appears once there are enough.
 */
export function planLab(options: LabOptions): LabPlan {
  const runCount = Math.max(0, Math.floor(options.runs));
  const share = Math.min(1, Math.max(0, options.problems));
  const seed = String(options.seed ?? 1);
  const rng = new SeededRandom(seed);
  const equipment = equipmentPlans(Math.max(1, Math.floor(options.equipment ?? 3)));

  const problemCount = Math.round(share * runCount);
  const chosen = rng
    .shuffle(Array.from({ length: runCount }, (_, i) => i))
    .slice(0, problemCount)
    .sort((a, b) => a - b);
  const problemOf = new Map<number, AssignedProblem>();
  chosen.forEach((runIndex, j) => {
    const kind = PROBLEM_KINDS[j % PROBLEM_KINDS.length] as ProblemKind;
    problemOf.set(runIndex, { kind, variant: Math.floor(j / PROBLEM_KINDS.length) % kind.variants });
  });

  const runs: RunPlan[] = [];
  for (let index = 0; index < runCount; index += 1) {
    const natural: RunKind = rng.chance(0.8) ? 'experimental' : 'test';
    const problem = problemOf.get(index) ?? null;
    const placement = problem?.kind.placement?.(problem.variant) ?? { folder: natural, leaf: natural, recorded: natural };
    const stamp = new Date(LAB_EPOCH + index * RUN_STRIDE_MS + rng.int(0, 6) * 60_000);
    runs.push({
      index,
      ...placement,
      stamp,
      createdAt: new Date(stamp.getTime() + rng.int(0, 59) * 1000),
      operator: rng.pick(OPERATORS),
      sampleId: `S-${String(rng.int(1, 9999)).padStart(4, '0')}`,
      label: `${rng.pick(RUN_LABELS)} ${index + 1}`,
      objectiveLens: rng.pick(LENSES),
      laserPowerPct: rng.int(1, 40) / 2,
      syncStatus: syncStatusOf(rng),
      problem,
      lookAlikes: problem === null && rng.chance(0.25),
    });
  }

  const projects: ProjectPlan[] = [];
  const newProject = (runsOf: RunPlan[], name: (base: string) => string, orphan: boolean): void => {
    const n = projects.length;
    const base = `${PROJECT_POOL[n % PROJECT_POOL.length]} ${String(n + 1).padStart(3, '0')}`;
    projects.push({
      equipmentId: (equipment[n % equipment.length] as EquipmentPlan).id,
      name: name(base),
      shortId: `PROJ-${String(n + 1).padStart(4, '0')}`,
      uid: rng.uuid(),
      createdAt: new Date(LAB_EPOCH - (n + 1) * 3_600_000),
      orphan,
      runs: runsOf,
    });
  };
  let current: RunPlan[] = [];
  let target = rng.int(8, 30);
  for (const run of runs) {
    const projectLevel = run.problem?.kind.project;
    if (projectLevel && run.problem) {
      const { variant } = run.problem;
      newProject([run], (base) => projectLevel.name(base, variant), projectLevel.orphan);
      continue;
    }
    current.push(run);
    if (current.length >= target) {
      newProject(current, (base) => base, false);
      current = [];
      target = rng.int(8, 30);
    }
  }
  if (current.length > 0) newProject(current, (base) => base, false);

  return { seed, equipment, projects, runCount, problemCount };
}
