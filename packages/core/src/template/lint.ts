import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { isMap, isNode, isScalar, type Document } from 'yaml';
import { CORE_FIELD_IDS, FILE_NAMES, RUN_SCOPES, TEMPLATE_TYPES, type TemplateType } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { templateReadmeFields } from '../readme/field-definitions.js';
import { ReadmeDefaultFieldSchema, zodIssues } from '../schemas/index.js';
import { resolveAnswers } from './answers.js';
import { contextVariables } from './context-variables.js';
import { createTemplateEnvironment } from './environment.js';
import { compileGlob, matchesAny } from './glob.js';
import { analyzeJinja, type JinjaAnalysis } from './jinja-analysis.js';
import { TEMPLATE_LINT_CHECKS, type TemplateLintCode, type TemplateLintFinding, type TemplateLintResult } from './lint-finding.js';
import {
  loadTemplateManifest,
  parseManifestYaml,
  parseQuestion,
  QUESTION_TYPES,
  readManifestSource,
  type TemplateManifest,
  type TemplateQuestion,
} from './manifest.js';
import { DEFAULT_TEMPLATE_EXCLUDES } from './render.js';

/** Options of {@link lintTemplate}. */
export interface TemplateLintOptions {
  /** Variables the caller puts into the context besides the questions and the built-in ones; not reported as unknown. */
  extraVariables?: readonly string[];
}

/** `_exlab_` keys ExLab-Wizard reads (§5.2). */
const EXLAB_KEYS = ['_exlab_type', '_exlab_version', '_exlab_run_scope', '_exlab_description', '_exlab_readme', '_exlab_plugins'];
/** Copier settings ExLab-Wizard reads or reports (core.md J). */
const COPIER_SETTINGS = ['_min_copier_version', '_answers_file', '_skip_if_exists', '_exclude', '_tasks'];
/** Copier's built-in variables; ExLab-Wizard does not provide them. */
const COPIER_BUILTINS = ['_copier_conf', '_copier_answers', '_copier_python', '_folder_name', '_copier_phase'];
const QUESTION_NAME = /^[a-z][a-z0-9_]*$/;
const UNSAFE_REFERENCE = /\bunsafe\s*=\s*True\b/;
const UNSAFE_SCAN_MAX_BYTES = 1024 * 1024;

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function hasJinja(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Collects findings; the severity comes from the check's code. */
class Findings {
  readonly list: TemplateLintFinding[] = [];

  add(code: TemplateLintCode, message: string, where: Omit<TemplateLintFinding, 'severity' | 'code' | 'message'> = {}): void {
    const finding: TemplateLintFinding = { severity: TEMPLATE_LINT_CHECKS[code], code, message };
    for (const [key, value] of Object.entries(where)) if (value !== undefined) (finding as Record<string, unknown>)[key] = value;
    this.list.push(finding);
  }

  get hasErrors(): boolean {
    return this.list.some((f) => f.severity === 'error');
  }
}

/** What the manifest checks learn for the file checks. */
interface ManifestFacts {
  type: TemplateType | undefined;
  questions: string[];
  exclude: string[];
}

/** The parsed manifest a {@link ManifestLinter} checks. */
interface ManifestInput {
  /** copier.yml or copier.yaml. */
  file: string;
  text: string;
  document: Document;
  raw: Record<string, unknown>;
  /** The template's folder name. */
  name: string;
  /** Globals of the render environment (range, True, ...), never unknown variables. */
  globals: readonly string[];
}

class ManifestLinter {
  readonly #findings: Findings;
  readonly #file: string;
  readonly #text: string;
  readonly #document: Document;
  readonly #raw: Record<string, unknown>;
  readonly #name: string;
  readonly #globals: readonly string[];

  constructor(findings: Findings, input: ManifestInput) {
    this.#findings = findings;
    this.#file = input.file;
    this.#text = input.text;
    this.#document = input.document;
    this.#raw = input.raw;
    this.#name = input.name;
    this.#globals = input.globals;
  }

  // 1-based line of a manifest key (the key itself at the top level, else the value).
  #line(path: readonly (string | number)[]): number | undefined {
    let node: unknown;
    if (path.length === 1 && isMap(this.#document.contents)) {
      node = this.#document.contents.items.find((pair) => isScalar(pair.key) && pair.key.value === path[0])?.key;
    } else {
      node = this.#document.getIn(path, true);
    }
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return undefined;
    return this.#text.slice(0, offset).split('\n').length;
  }

  #add(code: TemplateLintCode, message: string, key: string, path: readonly (string | number)[] = [key]): void {
    this.#findings.add(code, message, { file: this.#file, key, line: this.#line(path) });
  }

  run(): ManifestFacts {
    const raw = this.#raw;
    const contents = this.#document.contents;
    if (contents !== null && !isMap(contents)) {
      this.#findings.add('manifest_not_mapping', `${this.#file} must be a mapping of settings and questions.`, { file: this.#file });
    }

    const type = raw._exlab_type;
    const validType = typeof type === 'string' && (TEMPLATE_TYPES as readonly string[]).includes(type) ? (type as TemplateType) : undefined;
    if (validType === undefined) {
      this.#add('type_invalid', `_exlab_type is ${JSON.stringify(type ?? null)}; allowed: ${TEMPLATE_TYPES.join(', ')}.`, '_exlab_type');
    }
    this.#checkVersion();
    this.#checkRunScope(validType);
    this.#checkCopierSettings();
    this.#checkSettingShapes();
    this.#checkReadmeFields();
    const questions = this.#checkQuestions(validType);
    const exclude = Array.isArray(raw._exclude) ? raw._exclude.filter((p): p is string => typeof p === 'string') : [];
    return { type: validType, questions, exclude };
  }

  #checkVersion(): void {
    const version = this.#raw._exlab_version;
    if (typeof version === 'string' && version.trim() !== '') return;
    const hint =
      typeof version === 'number'
        ? ` Quote it: _exlab_version: "${String(version)}" (unquoted it reads as the number ${String(version)}).`
        : '';
    this.#add(
      'version_missing',
      `_exlab_version must be a non-empty quoted string such as "1.0" (found ${JSON.stringify(version ?? null)}); the template is refused without it (§5.7).${hint}`,
      '_exlab_version',
    );
  }

  #checkRunScope(type: TemplateType | undefined): void {
    const scope = this.#raw._exlab_run_scope;
    if (type === 'run' && (typeof scope !== 'string' || !(RUN_SCOPES as readonly string[]).includes(scope))) {
      this.#add(
        'run_scope_invalid',
        `_exlab_run_scope is ${JSON.stringify(scope ?? null)}; a run template needs one of: ${RUN_SCOPES.join(', ')}.`,
        '_exlab_run_scope',
      );
    } else if (type !== undefined && type !== 'run' && scope !== undefined) {
      this.#add(
        'run_scope_ignored',
        `_exlab_run_scope only applies to run templates; this ${type} template ignores it.`,
        '_exlab_run_scope',
      );
    }
  }

  #checkCopierSettings(): void {
    const raw = this.#raw;
    const min = raw._min_copier_version;
    if (min === undefined || min === null) {
      this.#add(
        'min_copier_version',
        '_min_copier_version is not set; set it to "9.0" (the Copier version this format follows).',
        '_min_copier_version',
      );
    } else {
      const match = /^(\d+)(?:\.(\d+))?/.exec(String(min));
      if (!match || Number(match[1]) < 9) {
        this.#add(
          'min_copier_version',
          `_min_copier_version is ${JSON.stringify(min)}; it should be "9.0" or later.`,
          '_min_copier_version',
        );
      }
    }
    if (raw._answers_file !== FILE_NAMES.answers) {
      this.#add(
        'answers_file',
        raw._answers_file === undefined
          ? `_answers_file is not set; set it to "${FILE_NAMES.answers}", the name ExLab-Wizard writes and the cache documentation assumes.`
          : `_answers_file is ${JSON.stringify(raw._answers_file)}; ExLab-Wizard always writes "${FILE_NAMES.answers}".`,
        '_answers_file',
      );
    }
    if (raw._tasks !== undefined) {
      this.#add(
        'tasks_ignored',
        '_tasks is declared but tasks are never run (§5.5); plugins run after rendering instead. Remove it.',
        '_tasks',
      );
    }
    for (const key of Object.keys(raw)) {
      if (!key.startsWith('_') || EXLAB_KEYS.includes(key) || COPIER_SETTINGS.includes(key)) continue;
      if (key.startsWith('_exlab_')) {
        this.#add('exlab_key_unknown', `${key} is not an ExLab-Wizard setting (known: ${EXLAB_KEYS.join(', ')}); it is ignored.`, key);
      } else {
        this.#add('setting_unsupported', `${key} is not a setting ExLab-Wizard implements; it is ignored when rendering.`, key);
      }
    }
  }

  #checkSettingShapes(): void {
    const raw = this.#raw;
    for (const key of ['_exclude', '_skip_if_exists', '_exlab_plugins']) {
      const value = raw[key];
      if (value !== undefined && (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))) {
        this.#add('setting_invalid', `${key} must be a list of text entries; it is ignored as written.`, key);
      }
    }
    if (raw._exlab_description !== undefined && typeof raw._exlab_description !== 'string') {
      this.#add('setting_invalid', '_exlab_description must be text; it is ignored as written.', '_exlab_description');
    }
  }

  // The same rules as templateReadmeFields (the config's README field schema), every problem reported.
  #checkReadmeFields(): void {
    const readme = this.#raw._exlab_readme;
    if (readme === undefined || readme === null) return;
    if (!isRecord(readme)) {
      this.#add('readme_field_invalid', '_exlab_readme must be a mapping with a fields list.', '_exlab_readme');
      return;
    }
    const fields = readme.fields;
    if (fields === undefined || fields === null) return;
    if (!Array.isArray(fields)) {
      this.#add('readme_field_invalid', '_exlab_readme.fields must be a list of field declarations.', '_exlab_readme.fields', [
        '_exlab_readme',
        'fields',
      ]);
      return;
    }
    const seen = new Map<string, number>();
    fields.forEach((field: unknown, index) => {
      const base = `_exlab_readme.fields[${index}]`;
      const path = ['_exlab_readme', 'fields', index];
      const id = isRecord(field) && typeof field.id === 'string' ? field.id.trim() : undefined;
      const core = id !== undefined && (CORE_FIELD_IDS as readonly string[]).includes(id);
      if (core) {
        this.#add(
          'core_field_redeclared',
          `${base} declares the core field "${id}"; label, operator and objective are built in and cannot be redeclared (§10.3).`,
          `${base}.id`,
          [...path, 'id'],
        );
      }
      const parsed = ReadmeDefaultFieldSchema.safeParse(field);
      if (!parsed.success) {
        for (const issue of zodIssues(parsed.error)) {
          if (core && issue.path === 'id') continue;
          const key = issue.path === '' ? base : `${base}.${issue.path}`;
          this.#add('readme_field_invalid', `${key}: ${issue.message}.`, key, [...path, ...issue.loc]);
        }
      }
      if (id !== undefined && id !== '') {
        const earlier = seen.get(id);
        if (earlier !== undefined) {
          this.#add(
            'readme_field_invalid',
            `${base} declares the README field "${id}" again (first at _exlab_readme.fields[${earlier}]).`,
            `${base}.id`,
            [...path, 'id'],
          );
        } else seen.set(id, index);
      }
    });
  }

  #checkQuestions(type: TemplateType | undefined): string[] {
    const names: string[] = [];
    const builtins = [...contextVariables(type ?? 'run'), ...this.#globals];
    for (const [name, spec] of Object.entries(this.#raw)) {
      if (name.startsWith('_')) continue;
      if (!QUESTION_NAME.test(name)) {
        this.#add(
          'question_name_convention',
          `Question "${name}" does not follow the naming convention ^[a-z][a-z0-9_]*$ (lower case, digits, underscores).`,
          name,
        );
      }
      let question: TemplateQuestion | undefined;
      try {
        question = parseQuestion(name, spec, this.#name, this.#document);
      } catch {
        const type = isRecord(spec) ? spec.type : undefined;
        this.#add(
          'question_type_invalid',
          `Question "${name}" has type ${JSON.stringify(type)}; allowed: ${QUESTION_TYPES.join(', ')}.`,
          `${name}.type`,
          [name, 'type'],
        );
      }
      if (question !== undefined) this.#checkQuestionValues(question, spec, [...builtins, ...names]);
      names.push(name);
    }
    return names;
  }

  // Each default and choice goes through resolveAnswers, the code that will read it at creation.
  #checkQuestionValues(question: TemplateQuestion, spec: unknown, knownBefore: readonly string[]): void {
    const name = question.name;
    const longForm = isRecord(spec);
    if (longForm && spec.choices !== undefined && spec.choices !== null) {
      const choices = spec.choices;
      const valid = Array.isArray(choices) ? choices.length > 0 : isRecord(choices) && Object.keys(choices).length > 0;
      if (!valid) {
        this.#add(
          'question_choices_invalid',
          `Question "${name}": choices must be a non-empty list, or a mapping of labels to values.`,
          `${name}.choices`,
          [name, 'choices'],
        );
        return;
      }
    }
    const single = { name: this.#name, questions: [{ ...question, default: undefined }] } as unknown as TemplateManifest;
    const invalidAnswer = (value: unknown): string | undefined => {
      try {
        resolveAnswers(single, { [name]: value }, {});
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (const choice of question.choices ?? []) {
      const problem = invalidAnswer(choice);
      if (problem !== undefined) {
        this.#add(
          'question_choices_invalid',
          `Question "${name}": the choice ${JSON.stringify(choice)} is not a valid ${question.type} answer.`,
          `${name}.choices`,
          [name, 'choices'],
        );
      }
    }
    const value = question.default;
    const defaultPath = longForm ? [name, 'default'] : [name];
    const defaultKey = longForm ? `${name}.default` : name;
    if (typeof value === 'string' && hasJinja(value)) {
      this.#checkDefaultTemplate(name, value, defaultKey, defaultPath, knownBefore);
    } else if (value !== undefined && value !== null) {
      const problem = invalidAnswer(value);
      if (problem !== undefined) {
        this.#add(
          'question_default_invalid',
          `Question "${name}": the default ${JSON.stringify(value)} is not a valid answer (${problem.replace(/^Template "[^"]*": /, '')})`,
          defaultKey,
          defaultPath,
        );
      }
    }
  }

  #checkDefaultTemplate(name: string, value: string, key: string, path: readonly (string | number)[], known: readonly string[]): void {
    const analysis = analyzeJinja(value);
    if (analysis.syntaxError) {
      this.#add(
        'jinja_syntax_error',
        `Question "${name}": the default ${JSON.stringify(value)} does not parse: ${analysis.syntaxError.message}.`,
        key,
        path,
      );
      return;
    }
    for (const use of analysis.variables) {
      if (known.includes(use.name)) continue;
      this.#add(
        'variable_unknown',
        `Question "${name}": the default uses "${use.name}", which is not a question asked before it nor a built-in variable; it renders empty.`,
        key,
        path,
      );
    }
    const env = createTemplateEnvironment();
    for (const use of analysis.filters) {
      if (!hasFilter(env, use.name))
        this.#add('filter_unknown', `Question "${name}": the default uses the unknown filter "${use.name}".`, key, path);
    }
    for (const use of analysis.escapes) {
      this.#add(
        'string_escape',
        `Question "${name}": the default has "${use.name}" in a string, which renders as "${use.name.slice(1)}"; write "\\${use.name}".`,
        key,
        path,
      );
    }
  }
}

function hasFilter(env: ReturnType<typeof createTemplateEnvironment>, name: string): boolean {
  try {
    env.getFilter(name);
    return true;
  } catch {
    return false;
  }
}

function hasTest(env: ReturnType<typeof createTemplateEnvironment>, name: string): boolean {
  try {
    (env as unknown as { getTest(name: string): unknown }).getTest(name);
    return true;
  } catch {
    return false;
  }
}

/** Checks the files and folder names of a template against what the manifest declares. */
class FileLinter {
  readonly #findings: Findings;
  readonly #dir: string;
  readonly #known: Set<string>;
  readonly #builtins: readonly string[];
  readonly #checkVariables: boolean;
  readonly #excludes: ((path: string) => boolean)[];
  readonly #env = createTemplateEnvironment();
  // Static (untemplated) output path -> the template entry that produces it.
  readonly #outputs = new Map<string, { source: string; folder: boolean }>();

  constructor(
    findings: Findings,
    dir: string,
    variables: { known: Set<string>; builtins: readonly string[]; check: boolean },
    exclude: readonly string[],
  ) {
    this.#findings = findings;
    this.#dir = dir;
    this.#known = variables.known;
    this.#builtins = variables.builtins;
    this.#checkVariables = variables.check;
    this.#excludes = [...DEFAULT_TEMPLATE_EXCLUDES, ...exclude].map(compileGlob);
  }

  async run(): Promise<void> {
    await this.#walk(this.#dir, []);
    this.#checkClashes();
  }

  // `inContent`: positions are lines of the file; in a path name they would mean nothing.
  #report(analysis: JinjaAnalysis, file: string, what: string, inContent: boolean): void {
    const at = (line: number | undefined, column: number | undefined): { line?: number; column?: number } =>
      inContent ? { line, column } : {};
    if (analysis.syntaxError) {
      const { message, line, column } = analysis.syntaxError;
      this.#findings.add(
        'jinja_syntax_error',
        `${what} does not parse: ${message}${line !== undefined && inContent ? ` (line ${line})` : ''}.`,
        {
          file,
          ...at(line, column),
        },
      );
      return;
    }
    if (this.#checkVariables) {
      for (const use of analysis.variables) {
        if (this.#known.has(use.name)) continue;
        const builtin = COPIER_BUILTINS.includes(use.name) ? ` ${use.name} is a Copier built-in that ExLab-Wizard does not provide.` : '';
        this.#findings.add(
          'variable_unknown',
          `${what} uses "${use.name}", which is neither a question nor a built-in variable (${this.#builtins.join(', ')}); it renders empty.${builtin}`,
          { file, ...at(use.line, use.column) },
        );
      }
    }
    for (const use of analysis.filters) {
      if (!hasFilter(this.#env, use.name))
        this.#findings.add('filter_unknown', `${what} uses the unknown filter "${use.name}"; rendering would fail.`, {
          file,
          ...at(use.line, use.column),
        });
    }
    for (const use of analysis.tests) {
      if (!hasTest(this.#env, use.name))
        this.#findings.add('test_unknown', `${what} uses the unknown test "${use.name}"; rendering would fail.`, {
          file,
          ...at(use.line, use.column),
        });
    }
    for (const use of analysis.escapes) {
      this.#findings.add(
        'string_escape',
        `${what} has "${use.name}" in a string, which renders as "${use.name.slice(1)}" here (Jinja would read it differently); write "\\${use.name}" to keep the backslash, e.g. '\\\\d' in a regex_replace pattern.`,
        { file, ...at(use.line, use.column) },
      );
    }
    for (const use of analysis.loaderTags) {
      this.#findings.add(
        'loader_tag_unsupported',
        `${what} uses {% ${use.name} %}; templates render without a loader, so it would fail. Inline the content instead.`,
        {
          file,
          ...at(use.line, use.column),
        },
      );
    }
  }

  async #walk(folder: string, staticSegments: string[] | null): Promise<void> {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(folder, entry.name);
      const rel = toPosix(relative(this.#dir, full));
      if (matchesAny(this.#excludes, rel)) continue;
      if (entry.isSymbolicLink()) {
        this.#findings.add('symlink_ignored', `${rel} is a symbolic link; rendering skips it. Copy the file or folder instead.`, {
          file: rel,
        });
        continue;
      }
      const isFile = entry.isFile();
      const isJinja = isFile && entry.name.endsWith(FILE_NAMES.jinjaSuffix);
      const outputName = isJinja ? entry.name.slice(0, -FILE_NAMES.jinjaSuffix.length) : entry.name;
      let segments: string[] | null = staticSegments === null ? null : [...staticSegments, outputName];
      let skipped = false;
      if (hasJinja(outputName)) {
        segments = null;
        const analysis = analyzeJinja(outputName);
        if (isFile && analysis.variables.some((use) => use.name === '_copier_conf')) {
          skipped = true;
          this.#findings.add(
            'answers_template_ignored',
            `${rel} looks like Copier's answers-file template; ExLab-Wizard writes ${FILE_NAMES.answers} itself, and this name renders empty, so the file is skipped. Remove it.`,
            { file: rel },
          );
        } else {
          this.#report(analysis, rel, `The ${isFile ? 'file' : 'folder'} name "${outputName}"`, false);
        }
      }
      if (segments !== null) {
        const output = segments.join('/');
        if (isFile && !this.#outputs.has(output)) this.#outputs.set(output, { source: rel, folder: false });
        else if (isFile)
          this.#findings.add('path_clash', `${rel} and ${this.#outputs.get(output)?.source} both render to ${output}.`, { file: rel });
        else this.#outputs.set(`${output}/`, { source: rel, folder: true });
        if (
          isFile &&
          staticSegments !== null &&
          staticSegments.length === 0 &&
          outputName.toLowerCase() === FILE_NAMES.readme.toLowerCase()
        ) {
          this.#findings.add(
            'readme_generated',
            `${rel} renders to the run or project README.md, which the README generator writes: its front matter is generated and this file's text is kept as the body (§10.7).`,
            { file: rel },
          );
        }
      }
      if (entry.isDirectory()) await this.#walk(full, segments);
      else if (isFile && !skipped) await this.#checkFile(full, rel, isJinja);
    }
  }

  async #checkFile(full: string, rel: string, isJinja: boolean): Promise<void> {
    const size = (await stat(full)).size;
    if (!isJinja && size > UNSAFE_SCAN_MAX_BYTES) return;
    const bytes = await readFile(full);
    let text: string | undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (isJinja)
        this.#findings.add(
          'jinja_not_utf8',
          `${rel} is not UTF-8 text, so it cannot be rendered; drop the .jinja suffix to copy it as is.`,
          { file: rel },
        );
      return;
    }
    if (UNSAFE_REFERENCE.test(text)) {
      this.#findings.add(
        'unsafe_reference',
        `${rel} mentions unsafe=True; ExLab-Wizard always renders in safe mode and never runs template code.`,
        { file: rel },
      );
    }
    if (isJinja) this.#report(analyzeJinja(text), rel, rel, true);
  }

  // A file whose static output path is also a folder another entry needs (e.g. `a` and `a/b.txt`).
  #checkClashes(): void {
    for (const [output, { source, folder }] of this.#outputs) {
      if (folder) continue;
      const other = this.#outputs.get(`${output}/`);
      if (other !== undefined)
        this.#findings.add('path_clash', `${source} renders to ${output}, the folder ${other.source} also needs.`, { file: source });
    }
  }
}

/**
 * Lints one template folder (§5.8) without rendering it: the manifest (type, version, run
 * scope, Copier settings, questions, README fields), every `.jinja` file and templated path
 * name (syntax, unknown variables, filters and tests), `_tasks`, and a root README.md. Every
 * problem is reported, not only the first. A template with no error findings loads.
 */
export async function lintTemplate(dir: string, options: TemplateLintOptions = {}): Promise<TemplateLintFinding[]> {
  const findings = new Findings();
  const name = basename(dir);
  const source = await readManifestSource(dir);
  if (source === undefined) {
    findings.add('manifest_missing', `No ${FILE_NAMES.copierManifest} in ${dir}: a template folder needs one.`, {
      file: FILE_NAMES.copierManifest,
    });
    return findings.list;
  }
  const globals = Object.keys((createTemplateEnvironment() as unknown as { globals: Record<string, unknown> }).globals);
  let facts: ManifestFacts = { type: undefined, questions: [], exclude: [] };
  let manifestParsed = false;
  try {
    const { document, raw } = parseManifestYaml(source.text);
    manifestParsed = true;
    facts = new ManifestLinter(findings, { file: source.file, text: source.text, document, raw, name, globals }).run();
  } catch (error) {
    if (manifestParsed) throw error;
    const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    findings.add('manifest_invalid_yaml', `${source.file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      file: source.file,
      line: position?.line,
      column: position?.col,
    });
  }
  const builtins = contextVariables(facts.type ?? 'run');
  const known = new Set([...facts.questions, ...builtins, ...globals, ...(options.extraVariables ?? [])]);
  // Without a readable manifest the questions are unknown, so only syntax, filters and tests are checked.
  await new FileLinter(findings, dir, { known, builtins, check: manifestParsed }, facts.exclude).run();

  if (!findings.hasErrors) {
    let manifest: TemplateManifest | undefined;
    try {
      manifest = await loadTemplateManifest(dir);
      templateReadmeFields(manifest);
    } catch (error) {
      findings.add('load_error', error instanceof ExLabError ? error.message : String(error), {
        file: source.file,
        key: error instanceof ExLabError ? error.field : undefined,
      });
    }
  }
  return findings.list;
}

/**
 * The template folders at `path` (§5.8): `path` itself when it holds a copier.yml, else its
 * sub-folders that do (sorted by name), else `path` itself, which then lints as a template
 * without a manifest. A `path` that is not a folder is `folder_not_found`.
 */
export async function findTemplateDirs(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ExLabError('folder_not_found', `${path} is not a folder; pass a template folder or a folder of templates.`, {
      field: 'path',
      details: { path },
    });
  }
  if ((await readManifestSource(path)) !== undefined) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const dirs: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if ((await readManifestSource(join(path, entry.name))) !== undefined) dirs.push(join(path, entry.name));
  }
  return dirs.length > 0 ? dirs : [path];
}

/** Lints every template at `path` (see {@link findTemplateDirs}). */
export async function lintTemplatesAt(path: string, options: TemplateLintOptions = {}): Promise<TemplateLintResult[]> {
  const results: TemplateLintResult[] = [];
  for (const dir of await findTemplateDirs(path))
    results.push({ path: dir, name: basename(dir), findings: await lintTemplate(dir, options) });
  return results;
}
