import nunjucks from 'nunjucks';

/** What nunjucks' generated code returns: the root render function and one function per block. */
type CompiledProps = Record<string, unknown>;

interface NunjucksCompiler {
  compiler: { compile(source: string, asyncFilters: string[], extensions: unknown[], name: string, options: unknown): string };
}

/** Most templates kept compiled; the least recently used is dropped first. */
const MAX_ENTRIES = 2000;
/** Sources longer than this are compiled every time rather than kept. */
const MAX_CACHED_SOURCE = 1024 * 1024;

const compiled = new Map<string, CompiledProps>();

/**
 * Compiled template code, keyed by source text and shared by every environment
 * createTemplateEnvironment makes: they have the same options and no async filters or
 * extensions, which is all nunjucks' code generation depends on (filters are looked up at
 * render time). The tray renders the same templates for every creation, and compiling is
 * most of the cost of rendering (bench/render.bench.ts).
 */
export function compiledProps(source: string, options: unknown): CompiledProps {
  const hit = compiled.get(source);
  if (hit !== undefined) {
    compiled.delete(source);
    compiled.set(source, hit);
    return hit;
  }
  const code = (nunjucks as unknown as NunjucksCompiler).compiler.compile(source, [], [], '', options);
  // The same evaluation nunjucks' Template._compile does for a template string.
  const props = new Function(code)() as CompiledProps;
  if (source.length <= MAX_CACHED_SOURCE) {
    compiled.set(source, props);
    if (compiled.size > MAX_ENTRIES) compiled.delete(compiled.keys().next().value as string);
  }
  return props;
}
