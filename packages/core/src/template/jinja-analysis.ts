import nunjucks from 'nunjucks';

/** A name a template uses, where it first appears (1-based line and column). */
export interface JinjaUse {
  /** Variable, filter, test or tag name. */
  name: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** A template that does not parse. */
export interface JinjaSyntaxError {
  /** What nunjucks reported. */
  message: string;
  /** 1-based line, when it could be located. */
  line: number | undefined;
  /** 1-based column, when it could be located. */
  column: number | undefined;
}

/** What one template source uses, found by walking its syntax tree (nothing is rendered). */
export interface JinjaAnalysis {
  /** Set when the source does not parse; the other lists are then empty. */
  syntaxError: JinjaSyntaxError | undefined;
  /** Variables read that the template does not itself define (`set`, loop and macro names), first use of each. */
  variables: JinjaUse[];
  /** Filters applied, first use of each. */
  filters: JinjaUse[];
  /** Tests used with `is`, first use of each. */
  tests: JinjaUse[];
  /** `include`, `import`, `from` and `extends` tags: they need a template loader, which rendering has not. */
  loaderTags: JinjaUse[];
  /**
   * Backslash escapes in string literals that nunjucks reads differently from Jinja: nunjucks
   * knows only `\n`, `\t` and `\r` and drops the backslash of any other (`'\d'` is `d`),
   * where Jinja keeps it (`\d`). Each use is named by its escape, e.g. `\d`.
   */
  escapes: JinjaUse[];
}

// The parser and node classes are public in nunjucks but not in its type definitions.
interface AstNode {
  readonly typename: string;
  readonly lineno: number | undefined;
  readonly colno: number | undefined;
  readonly fields: readonly string[];
  readonly [field: string]: unknown;
}
interface NunjucksInternals {
  parser: { parse(source: string, extensions?: unknown[], options?: Record<string, unknown>): AstNode };
  lexer: {
    lex(source: string, options?: Record<string, unknown>): { nextToken(): { type: string; lineno: number; colno: number } | null };
  };
  nodes: { Node: abstract new (...args: never[]) => object };
}
const internals = nunjucks as unknown as NunjucksInternals;

function isNode(value: unknown): value is AstNode {
  return value instanceof internals.nodes.Node;
}

function symbolName(node: unknown): string | undefined {
  return isNode(node) && node.typename === 'Symbol' && typeof node.value === 'string' ? node.value : undefined;
}

// Names a condition proves defined: `x is defined`, and each side of an `and`.
function guardedNames(cond: unknown): string[] {
  if (!isNode(cond)) return [];
  if (cond.typename === 'And') return [...guardedNames(cond.left), ...guardedNames(cond.right)];
  if (cond.typename === 'Is' && symbolName(cond.right) === 'defined') {
    const name = symbolName(cond.left);
    return name === undefined ? [] : [name];
  }
  return [];
}

class UseList {
  readonly uses: JinjaUse[] = [];
  readonly #seen = new Set<string>();

  add(name: string, node: AstNode): void {
    if (this.#seen.has(name)) return;
    this.#seen.add(name);
    this.uses.push({ name, line: (node.lineno ?? 0) + 1, column: (node.colno ?? 0) + 1 });
  }
}

class Walker {
  readonly variables = new UseList();
  readonly filters = new UseList();
  readonly tests = new UseList();
  readonly loaderTags = new UseList();
  readonly #scopes: Set<string>[] = [new Set()];
  readonly #guards: Set<string>[] = [];

  #define(name: string | undefined): void {
    if (name !== undefined) this.#scopes.at(-1)?.add(name);
  }

  #defined(name: string): boolean {
    return this.#scopes.some((scope) => scope.has(name)) || this.#guards.some((guard) => guard.has(name));
  }

  #inScope(names: readonly string[], body: () => void): void {
    this.#scopes.push(new Set(names));
    try {
      body();
    } finally {
      this.#scopes.pop();
    }
  }

  // Macro and call-block parameters: plain names, and `name=default` pairs whose defaults are expressions.
  #parameters(args: unknown): string[] {
    const names: string[] = [];
    if (!isNode(args)) return names;
    for (const arg of (args.children as unknown[] | undefined) ?? []) {
      const plain = symbolName(arg);
      if (plain !== undefined) names.push(plain);
      else if (isNode(arg) && arg.typename === 'KeywordArgs') {
        for (const pair of (arg.children as unknown[] | undefined) ?? []) {
          if (!isNode(pair)) continue;
          this.walk(pair.value);
          const key = symbolName(pair.key);
          if (key !== undefined) names.push(key);
        }
      }
    }
    return names;
  }

  #loopNames(name: unknown): string[] {
    if (!isNode(name)) return [];
    if (name.typename === 'Symbol') return [symbolName(name) as string];
    return ((name.children as unknown[] | undefined) ?? []).map(symbolName).filter((n): n is string => n !== undefined);
  }

  walk(node: unknown): void {
    if (Array.isArray(node)) {
      for (const child of node) this.walk(child);
      return;
    }
    if (!isNode(node)) return;
    switch (node.typename) {
      case 'Symbol': {
        const name = symbolName(node) as string;
        if (!this.#defined(name)) this.variables.add(name, node);
        return;
      }
      case 'Set': {
        // `{% set x %}...{% endset %}` keeps its content in `body`, which is not a declared field.
        this.walk(node.value ?? node.body);
        for (const target of (node.targets as unknown[] | undefined) ?? []) this.#define(symbolName(target));
        return;
      }
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll': {
        this.walk(node.arr);
        this.#inScope([...this.#loopNames(node.name), 'loop'], () => this.walk(node.body));
        this.walk(node.else_);
        return;
      }
      case 'Macro':
      case 'Caller': {
        if (node.typename === 'Macro') this.#define(symbolName(node.name));
        this.#inScope(['caller', 'varargs', 'kwargs'], () => {
          for (const name of this.#parameters(node.args)) this.#define(name);
          this.walk(node.body);
        });
        return;
      }
      case 'Filter':
      case 'FilterAsync': {
        const name = symbolName(node.name);
        if (name !== undefined) this.filters.add(name, node.name as AstNode);
        const args = isNode(node.args) ? ((node.args.children as unknown[] | undefined) ?? []) : [];
        // `x | default(...)` states that x may be missing: not an unknown variable.
        if ((name === 'default' || name === 'd') && symbolName(args[0]) !== undefined) this.walk(args.slice(1));
        else this.walk(node.args);
        return;
      }
      case 'Is': {
        const test = node.right;
        const name = symbolName(test) ?? (isNode(test) && test.typename === 'FunCall' ? symbolName(test.name) : undefined);
        // `x is defined` states that x may be missing: not an unknown variable.
        if (!((name === 'defined' || name === 'undefined') && symbolName(node.left) !== undefined)) this.walk(node.left);
        if (name !== undefined) this.tests.add(name, test as AstNode);
        if (isNode(test) && test.typename === 'FunCall') this.walk(test.args);
        return;
      }
      case 'If':
      case 'IfAsync':
      case 'InlineIf': {
        // `{% if x is defined %}...{{ x }}` uses x only where it exists.
        // An `if` opens no scope in Jinja: a `set` inside it stays visible afterwards.
        this.walk(node.cond);
        this.#guards.push(new Set(guardedNames(node.cond)));
        this.walk(node.body);
        this.#guards.pop();
        this.walk(node.else_);
        return;
      }
      case 'Pair': {
        // `{a: 1}` and keyword arguments `f(a=1)`: nunjucks reads a bare name as the key text.
        if (symbolName(node.key) === undefined) this.walk(node.key);
        this.walk(node.value);
        return;
      }
      case 'Include':
      case 'Extends':
        this.loaderTags.add(node.typename.toLowerCase(), node);
        return;
      case 'Import':
        this.loaderTags.add('import', node);
        this.#define(symbolName(node.target));
        return;
      case 'FromImport': {
        this.loaderTags.add('from', node);
        for (const entry of ((node.names as AstNode | undefined)?.children as unknown[] | undefined) ?? []) {
          this.#define(isNode(entry) && entry.typename === 'Pair' ? symbolName(entry.value) : symbolName(entry));
        }
        return;
      }
      case 'Super':
      case 'CallExtension':
      case 'CallExtensionAsync':
        return;
      default:
        if (Array.isArray(node.children)) this.walk(node.children);
        else for (const field of node.fields) this.walk(node[field]);
    }
  }
}

// Block tags that need an `end...` tag (`set` is left out: only its block form does).
const BLOCK_TAGS = new Set(['if', 'for', 'macro', 'call', 'filter', 'block', 'raw', 'verbatim', 'asyncEach', 'asyncAll', 'switch']);

interface Position {
  line: number;
  column: number;
}

/** 1-based line and column of the character at `index`. */
function positionOf(source: string, index: number): Position {
  const before = source.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * End-of-file errors carry no position: point at the tag left open (`{{ x`, or `{% if %}`
 * without `{% endif %}`), or at the last `{#` for an unclosed comment.
 */
function locateEndOfFileError(source: string, message: string): Position | undefined {
  if (/comment/.test(message)) {
    const index = source.lastIndexOf('{#');
    return index === -1 ? undefined : positionOf(source, index);
  }
  let openTag: Position | undefined;
  const blocks: Position[] = [];
  let expectTagName: Position | undefined;
  try {
    const tokens = internals.lexer.lex(source);
    for (let token = tokens.nextToken(); token !== null; token = tokens.nextToken()) {
      const at = { line: token.lineno + 1, column: token.colno + 1 };
      if (expectTagName !== undefined && token.type !== 'whitespace') {
        const name = (token as { value?: unknown }).value;
        if (typeof name === 'string' && BLOCK_TAGS.has(name)) blocks.push(expectTagName);
        else if (typeof name === 'string' && name.startsWith('end')) blocks.pop();
        expectTagName = undefined;
      }
      if (token.type === 'block-start' || token.type === 'variable-start') openTag = at;
      if (token.type === 'block-start') expectTagName = at;
      if (token.type === 'block-end' || token.type === 'variable-end') openTag = undefined;
    }
  } catch {
    // The tag that was open when lexing failed is the one to point at.
  }
  return openTag ?? blocks.at(-1);
}

// Escapes nunjucks and Jinja agree on: \n \t \r, and a backslash before \, ' or " (kept as that character).
const SAME_ESCAPES = new Set(['n', 't', 'r', '\\', "'", '"']);

/** Finds string-literal escapes inside `{{ }}` and `{% %}` that nunjucks reads differently from Jinja (comments and raw blocks skipped). */
function findEscapeDifferences(source: string): JinjaUse[] {
  const uses: JinjaUse[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.slice(i, i + 2);
    if (open === '{#') {
      const end = source.indexOf('#}', i + 2);
      i = end === -1 ? source.length : end + 2;
      continue;
    }
    if (open !== '{{' && open !== '{%') {
      i += 1;
      continue;
    }
    const rawBlock = /^\{%-?\s*(raw|verbatim)\s*-?%\}/.exec(source.slice(i));
    if (rawBlock) {
      const close = new RegExp(`\\{%-?\\s*end${rawBlock[1]}\\s*-?%\\}`).exec(source.slice(i + rawBlock[0].length));
      i = close === null ? source.length : i + rawBlock[0].length + close.index + close[0].length;
      continue;
    }
    const closer = open === '{{' ? '}}' : '%}';
    i += 2;
    while (i < source.length && source.slice(i, i + 2) !== closer) {
      const quote = source[i];
      if (quote !== '"' && quote !== "'") {
        i += 1;
        continue;
      }
      i += 1;
      while (i < source.length && source[i] !== quote) {
        if (source[i] === '\\' && i + 1 < source.length) {
          const next = source[i + 1] as string;
          if (!SAME_ESCAPES.has(next)) uses.push({ name: `\\${next}`, ...positionOf(source, i) });
          i += 2;
        } else i += 1;
      }
      i += 1;
    }
    i += 2;
  }
  return uses;
}

/** Parses `source` as a Jinja template (nunjucks dialect) and lists what it uses; never renders it. */
export function analyzeJinja(source: string): JinjaAnalysis {
  let root: AstNode;
  try {
    root = internals.parser.parse(source);
  } catch (error) {
    const { lineno, colno, message } = error as { lineno?: number; colno?: number; message?: string };
    const located = typeof lineno === 'number' ? { line: lineno, column: colno } : locateEndOfFileError(source, String(message));
    return {
      syntaxError: { message: String(message ?? error), line: located?.line, column: located?.column },
      variables: [],
      filters: [],
      tests: [],
      loaderTags: [],
      escapes: [],
    };
  }
  const walker = new Walker();
  walker.walk(root);
  const inOrder = (uses: JinjaUse[]): JinjaUse[] => uses.sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    syntaxError: undefined,
    variables: inOrder(walker.variables.uses),
    filters: inOrder(walker.filters.uses),
    tests: inOrder(walker.tests.uses),
    loaderTags: inOrder(walker.loaderTags.uses),
    escapes: findEscapeDifferences(source),
  };
}
