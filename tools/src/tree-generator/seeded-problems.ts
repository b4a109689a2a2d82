import { type RunKind } from '@exlab/core/constants';
import { nameFindings, tokenFindings, type ExpectedFinding } from './answer-key.js';

/** What the content of a run will be; a seeded problem changes it before it is written. */
export interface RunDraft {
  /** The run folder, relative to the output folder, `/`-separated. */
  path: string;
  /** The project folder holding the run, relative to the output folder. */
  projectPath: string;
  /** How `.exlab-wizard/creation.json` is written. */
  creation: 'valid' | 'missing' | 'not_json' | 'schema_invalid';
  /** `acquisition_notes.txt`. */
  notes: string;
  /** `settings/acquisition.yaml`. */
  settingsYaml: string;
  /** The objective written into README.md's front matter. */
  readmeObjective: string;
  /** False leaves README.md's front matter without its closing `---`. */
  readmeTerminated: boolean;
  /** `config_fields` of readme_fields.json and the README front matter (a missing key is left out). */
  configFields: Record<string, string | null>;
  /** Files added to the run, paths relative to the run folder. */
  extraFiles: { path: string; content: string | Uint8Array }[];
}

/** Where a run is placed: the kind folder it sits in, its leaf prefix, and the run_kind recorded. */
export interface RunPlacement {
  folder: RunKind;
  leaf: RunKind;
  recorded: RunKind;
}

/** One class of seeded problem: how it changes a run and which findings that must raise. */
export interface ProblemKind {
  /** Stable name, used in the answer key's counts. */
  id: string;
  /** How many variants the kind cycles through. */
  variants: number;
  /** A project-level problem gets a project of its own holding only this run. */
  project?: {
    /** The project folder name for `variant` (`base` is a clean, unique name). */
    name(base: string, variant: number): string;
    /** True when the project has no creation.json. */
    orphan: boolean;
  };
  /** Overrides where the run is placed. */
  placement?(variant: number): RunPlacement;
  /** Changes the draft and returns the findings the change must raise. */
  apply(draft: RunDraft, variant: number): ExpectedFinding[];
}

/** The configured README field that lab policy makes required (config.yaml readme.defaults). */
export const REQUIRED_CONFIG_FIELD = 'irb_protocol';
/** A configured README field that is optional: leaving it out is not a finding. */
export const OPTIONAL_CONFIG_FIELD = 'funding_code';

const join = (...parts: string[]): string => parts.join('/');

/** Adds a file to the run and returns the findings of its name. */
function addFile(draft: RunDraft, relative: string, content: string | Uint8Array): ExpectedFinding[] {
  draft.extraFiles.push({ path: relative, content });
  const name = relative.split('/').at(-1) ?? relative;
  return nameFindings(name, { runPath: draft.path, offendingPath: join(draft.path, relative) }, 'file_name');
}

/** Adds a folder (holding one clean file) to the run and returns the findings of its name. */
function addFolder(draft: RunDraft, name: string): ExpectedFinding[] {
  draft.extraFiles.push({ path: join(name, 'frame_0001.tif'), content: tiffLike(name.length) });
  return nameFindings(name, { runPath: draft.path, offendingPath: join(draft.path, name) }, 'directory_segment');
}

/** A few hundred bytes that look like a little-endian TIFF: binary, full of NUL bytes. */
export function tiffLike(salt: number): Uint8Array {
  const bytes = new Uint8Array(384);
  bytes.set([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]);
  for (let i = 8; i < bytes.length; i += 1) bytes[i] = i % 7 === 0 ? 0 : (i * 31 + salt * 17) & 0xff;
  return bytes;
}

function contentFindings(draft: RunDraft, relative: string, text: string): ExpectedFinding[] {
  return tokenFindings(text, { runPath: draft.path, offendingPath: join(draft.path, relative) }, 'file_content');
}

const ILLEGAL_NAMES = ['scan:01.txt', 'plate|A', 'notes?.txt', 'batch*.csv', '"final".txt'] as const;
const RESERVED_FILES = ['lpt9.dat', 'PRN.csv', 'aux.log'] as const;

/**
 * Every seeded problem class, in the order the generator cycles through them (§8.1, core.md H):
 * each hard rule in names and content, each mode-prefix signal, and each soft rule.
 */
export const PROBLEM_KINDS: readonly ProblemKind[] = [
  {
    id: 'placeholder_in_folder_name',
    variants: 1,
    apply: (draft) => addFolder(draft, 'raw_<sample_id>'),
  },
  {
    id: 'placeholder_in_file_name',
    variants: 1,
    apply: (draft) => addFile(draft, 'data/plate_<plate_id>.csv', 'well,od600\nA1,0.12\n'),
  },
  {
    id: 'placeholder_in_text_content',
    variants: 1,
    apply: (draft) => {
      draft.notes += 'Sample: <sample_id> (fill in before imaging)\n';
      return contentFindings(draft, 'acquisition_notes.txt', draft.notes);
    },
  },
  {
    id: 'placeholder_in_front_matter',
    variants: 1,
    apply: (draft) => {
      draft.readmeObjective = 'Characterize <analyte> uptake in the treated wells.';
      return contentFindings(draft, 'README.md', draft.readmeObjective);
    },
  },
  {
    id: 'jinja_expression_in_content',
    variants: 1,
    apply: (draft) => {
      draft.settingsYaml += 'operator: "{{ operator }}"\n';
      return contentFindings(draft, 'settings/acquisition.yaml', draft.settingsYaml);
    },
  },
  {
    id: 'jinja_statement_in_content',
    variants: 1,
    apply: (draft) => {
      draft.notes += '{% if calibrated %}\nCalibration file attached.\n{% endif %}\n';
      return contentFindings(draft, 'acquisition_notes.txt', draft.notes);
    },
  },
  {
    id: 'jinja_expression_in_folder_name',
    variants: 1,
    apply: (draft) => addFolder(draft, '{{ sample_id }}_processed'),
  },
  {
    id: 'jinja_statement_in_file_name',
    variants: 1,
    apply: (draft) => addFile(draft, '{% if qc %}qc_report.txt', 'QC passed.\n'),
  },
  {
    id: 'illegal_character_in_name',
    variants: ILLEGAL_NAMES.length,
    apply: (draft, variant) => {
      const name = ILLEGAL_NAMES[variant % ILLEGAL_NAMES.length] ?? ILLEGAL_NAMES[0];
      return name.includes('.') ? addFile(draft, name, 'placeholder-free text\n') : addFolder(draft, name);
    },
  },
  {
    id: 'reserved_folder_name',
    variants: 1,
    apply: (draft) => addFolder(draft, 'CON'),
  },
  {
    id: 'reserved_file_name',
    variants: RESERVED_FILES.length,
    apply: (draft, variant) => addFile(draft, RESERVED_FILES[variant % RESERVED_FILES.length] ?? RESERVED_FILES[0], 'device log\n'),
  },
  {
    id: 'mode_prefix_test_under_runs',
    variants: 1,
    // run_kind test recorded in Runs/Run_<stamp>: both the parent and the leaf disagree with it.
    placement: () => ({ folder: 'experimental', leaf: 'experimental', recorded: 'test' }),
    apply: (draft) => [
      {
        rule: 'mode_prefix_mismatch',
        run_path: draft.path,
        offending_path: draft.path,
        offending_kind: 'directory_segment',
        matched_token: 'Run_',
      },
      {
        rule: 'mode_prefix_mismatch',
        run_path: draft.path,
        offending_path: draft.path,
        offending_kind: 'directory_segment',
        matched_token: 'Runs',
      },
    ],
  },
  {
    id: 'mode_prefix_wrong_leaf',
    variants: 2,
    // The parent agrees with run_kind, the leaf prefix does not: Runs/TestRun_ (experimental) or TestRuns/Run_ (test).
    placement: (variant) =>
      variant % 2 === 0
        ? { folder: 'experimental', leaf: 'test', recorded: 'experimental' }
        : { folder: 'test', leaf: 'experimental', recorded: 'test' },
    apply: (draft, variant) => [
      {
        rule: 'mode_prefix_mismatch',
        run_path: draft.path,
        offending_path: draft.path,
        offending_kind: 'directory_segment',
        matched_token: variant % 2 === 0 ? 'TestRun_' : 'Run_',
      },
    ],
  },
  {
    id: 'orphan_run',
    variants: 3,
    // core.md H7: missing, not JSON, or failing the schema all make an orphan.
    apply: (draft, variant) => {
      draft.creation = (['missing', 'not_json', 'schema_invalid'] as const)[variant % 3] ?? 'missing';
      return [
        { rule: 'orphan', run_path: draft.path, offending_path: draft.path, offending_kind: 'directory_segment', matched_token: null },
      ];
    },
  },
  {
    id: 'orphan_project',
    variants: 1,
    project: { name: (base) => base, orphan: true },
    apply: (draft) => [
      {
        rule: 'orphan',
        run_path: draft.projectPath,
        offending_path: draft.projectPath,
        offending_kind: 'directory_segment',
        matched_token: null,
      },
    ],
  },
  {
    id: 'missing_required_field',
    variants: 3,
    // core.md H8: absent, null and "" all count as missing.
    apply: (draft, variant) => {
      if (variant % 3 === 0) delete draft.configFields[REQUIRED_CONFIG_FIELD];
      else draft.configFields[REQUIRED_CONFIG_FIELD] = variant % 3 === 1 ? null : '';
      return [
        {
          rule: 'missing_required_field',
          run_path: draft.path,
          offending_path: join(draft.path, '.exlab-wizard', 'readme_fields.json'),
          offending_kind: 'file_content',
          matched_token: REQUIRED_CONFIG_FIELD,
        },
      ];
    },
  },
  {
    id: 'malformed_front_matter',
    variants: 1,
    apply: (draft) => {
      draft.readmeTerminated = false;
      return [
        {
          rule: 'malformed_yaml_front_matter',
          run_path: draft.path,
          offending_path: join(draft.path, 'README.md'),
          offending_kind: 'file_content',
          matched_token: null,
        },
      ];
    },
  },
  {
    id: 'unsafe_project_name',
    variants: 2,
    project: { name: (base, variant) => (variant % 2 === 0 ? base.replace(/^\S+/, 'Café') : `${base} `), orphan: false },
    apply: (draft, variant) => {
      const name = draft.projectPath.split('/').at(-1) ?? '';
      const place = { runPath: draft.projectPath, offendingPath: draft.projectPath };
      const token = variant % 2 === 0 ? 'é' : ' ';
      return [
        {
          rule: 'unsafe_project_name',
          run_path: place.runPath,
          offending_path: place.offendingPath,
          offending_kind: 'directory_segment',
          matched_token: token,
        },
        // A trailing space also breaks §8.1.2's trailing-dot/space rule.
        ...nameFindings(name, place, 'directory_segment'),
      ];
    },
  },
];
