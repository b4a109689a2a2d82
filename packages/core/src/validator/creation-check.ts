import { FILE_NAMES, LIMITS, type RunKind } from '../constants/index.js';
import { ValidationError } from '../errors/index.js';
import type { Finding } from '../schemas/index.js';
import { contentScanLimits, extensionOf, isScanCandidate, scanText } from './content-scan.js';
import { bareOwner, completeFinding, type FindingDraft } from './finding-draft.js';
import { sortFindings } from './finding-order.js';
import { childRole, ownsFindings, type FolderRole } from './levels.js';
import { modePrefixHits } from './mode-prefix-rule.js';
import { nameFindings } from './name-findings.js';
import { isMissingValue, missingFieldDraft } from './required-fields.js';

/** What a creation is about to write (§11.8 creation-time mode, core.md H11). */
export interface CreationCheckInput {
  /** The destination folder (project or run), absolute; `/` or `\` separated. */
  proposed_path: string;
  /**
   * The equipment folder the destination is under (as `equipmentDir` gives it). Its own name and
   * everything below it are checked; the root above it (`C:\`, `/data/lab`) never is. A bare
   * drive (`C:\`) is taken as the root itself, so the next segment is the equipment folder.
   */
  equipment_dir: string;
  /** The resolved variables. Their effect is checked where it lands (path, names, contents), so every finding names a place. */
  variables: Readonly<Record<string, unknown>>;
  /** Files to write, relative to the destination, `/` or `\` separated. */
  file_names: readonly string[];
  /** Rendered text by relative path; these names are checked too. */
  file_contents: Readonly<Record<string, string>>;
  /** The run's kind; null for a project. */
  run_kind: RunKind | null;
  /** README field ids that must have a value. */
  required_ids: readonly string[];
  /** README field values by id. */
  readme_fields: Readonly<Record<string, unknown>>;
}

/** The config.yaml `validator.*` settings creation mode needs. */
export interface CreationCheckOptions {
  contentScanMaxMib: number;
  contentScanExtensions: readonly string[];
}

interface Segment {
  name: string;
  /** The path up to and including this segment, spelled as the caller spelled it. */
  path: string;
}

const SEGMENT = /[^\\/]+/g;
const DRIVE = /^[A-Za-z]:$/;

function segmentsOf(path: string): Segment[] {
  return [...path.matchAll(SEGMENT)].map((match) => ({ name: match[0], path: path.slice(0, match.index + match[0].length) }));
}

/** A folder of the destination tree: its path, role and the folder that owns its findings. */
interface Placement {
  path: string;
  role: FolderRole;
  owner: string;
}

function below(place: Placement, name: string, separator: string): Placement {
  const path = `${place.path}${separator}${name}`;
  const role = childRole(place.role, name);
  return { path, role, owner: ownsFindings(role) ? path : place.owner };
}

function splitRelative(path: string): string[] {
  return path.split(/[\\/]+/).filter((part) => part !== '');
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// §8.1.1 binary rule on text about to be written: a NUL within its first 8 KiB once encoded.
function isBinaryText(text: string): boolean {
  const nul = text.indexOf('\0');
  return nul !== -1 && utf8Length(text.slice(0, nul)) < LIMITS.binarySniffBytes;
}

/**
 * Creation-time mode (§11.8, core.md H11): the §8.1 rules on what a creation is about to write,
 * without touching the disk. Checks the destination's segments from the equipment folder down,
 * every file and folder name, the rendered text (front matter only for `.md`; a malformed
 * README.md front matter is a soft finding), the mode prefix and the required README fields.
 * Findings name paths as the audit of the written tree would; `synced_under_prior_policy` and
 * `override_active` are false, as nothing is on disk yet. Throws `validation_failed` when
 * `proposed_path` is not inside `equipment_dir`.
 */
export function validateCreation(input: CreationCheckInput, options: CreationCheckOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (drafts: readonly FindingDraft[], runPath: string): void => {
    const owner = bareOwner(runPath);
    for (const draft of drafts) findings.push(completeFinding(draft, owner));
  };

  const limits = contentScanLimits(options.contentScanMaxMib, options.contentScanExtensions);
  const equipment = segmentsOf(input.equipment_dir);
  const proposed = segmentsOf(input.proposed_path);
  const inside =
    equipment.length > 0 &&
    proposed.length >= equipment.length &&
    // Only the root above the equipment folder is compared; it is never checked, and Windows spells it in any case.
    equipment.every((segment, i) => segment.name.toLowerCase() === proposed[i]?.name.toLowerCase());
  if (!inside) {
    throw new ValidationError(`proposed_path ${input.proposed_path} is not inside the equipment folder ${input.equipment_dir}.`, {
      field: 'proposed_path',
      details: { proposed_path: input.proposed_path, equipment_dir: input.equipment_dir },
    });
  }

  // The destination's segments, from the equipment folder down, each with its role and owner.
  // DECISIONS.md: a drive prefix is not itself a finding, so `C:` is never the equipment folder.
  const driveRoot = equipment.length === 1 && DRIVE.test(equipment[0]?.name ?? '');
  const checked = proposed.slice(driveRoot ? equipment.length : equipment.length - 1);
  if (checked.length === 0) return [];
  const separator = input.proposed_path.includes('/') || !input.proposed_path.includes('\\') ? '/' : '\\';
  let role: FolderRole = 'equipment';
  let owner = '';
  for (const [i, segment] of checked.entries()) {
    role = i === 0 ? 'equipment' : childRole(role, segment.name);
    if (i === 0 || ownsFindings(role)) owner = segment.path;
    add(nameFindings(segment.name, segment.path, 'directory_segment'), owner);
  }
  const destination: Placement = { path: checked.at(-1)?.path ?? input.proposed_path, role, owner };

  // Files and the folders that hold them; a folder shared by several files is checked once.
  // file_contents keys may use either separator; both lists are keyed by the `/`-joined name.
  const contents = new Map(Object.entries(input.file_contents).map(([name, text]) => [splitRelative(name).join('/'), text]));
  const files = new Map<string, string[]>();
  for (const name of [...input.file_names, ...Object.keys(input.file_contents)]) {
    const parts = splitRelative(name);
    if (parts.length > 0 && !files.has(parts.join('/'))) files.set(parts.join('/'), parts);
  }
  const seenFolders = new Set<string>();
  for (const [relative, parts] of files) {
    let place = destination;
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      place = last ? { ...place, path: `${place.path}${separator}${part}` } : below(place, part, separator);
      if (last) add(nameFindings(part, place.path, 'file_name'), place.owner);
      else {
        const key = parts.slice(0, i + 1).join('/');
        if (!seenFolders.has(key)) add(nameFindings(part, place.path, 'directory_segment'), place.owner);
        seenFolders.add(key);
      }
    }
    // Rendered text: allowlisted, within the size limit, not binary.
    const text = contents.get(relative);
    const file = parts.at(-1) ?? '';
    if (text === undefined || !isScanCandidate(file, limits) || utf8Length(text) > limits.maxBytes || isBinaryText(text)) continue;
    // §8.1.1 / core.md H9: in creation mode only README.md reports malformed front matter.
    add(
      scanText(text, { path: place.path, markdown: extensionOf(file) === '.md', reportMalformed: file === FILE_NAMES.readme }),
      place.owner,
    );
  }

  // §8.1.3 on the destination of a run: its leaf and the folder holding it.
  const leaf = checked.at(-1);
  const parent = checked.at(-2);
  if (input.run_kind !== null && checked.length >= 3 && leaf !== undefined && parent !== undefined) {
    add(
      modePrefixHits(leaf.name, parent.name, input.run_kind).map((hit) => ({
        rule: 'mode_prefix_mismatch',
        offending_path: destination.path,
        offending_kind: 'directory_segment',
        matched_token: hit.token,
        rule_detail: hit.detail,
      })),
      destination.owner,
    );
  }

  // §8.1.5: each required id once.
  const readmeFieldsPath = [destination.path, FILE_NAMES.cacheDir, FILE_NAMES.readmeFields].join(separator);
  const missing = [...new Set(input.required_ids)].filter((id) => isMissingValue(input.readme_fields[id]));
  add(
    missing.map((id) => missingFieldDraft(readmeFieldsPath, id, null)),
    destination.owner,
  );

  return sortFindings(findings);
}
