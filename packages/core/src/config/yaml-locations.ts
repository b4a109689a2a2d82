import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

/** A 1-based position in a YAML file. */
export interface YamlPosition {
  line: number;
  column: number;
}

/** The key of a mapping entry as text (plain keys are scalars; keys added by code may be raw strings). */
export function pairKey(pair: Pair): string {
  const key: unknown = pair.key;
  return isScalar(key) ? String(key.value) : String(key);
}

function start(node: Node, lineCounter: LineCounter): YamlPosition | undefined {
  const offset = node.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Where the value at `loc` is written in `doc`: a scalar's own position, or the key that names a
 * mapping or list. With `atKey`, the last segment's key is located (an unknown key). When the
 * path does not exist (a missing required field), the nearest existing ancestor is located.
 */
export function locateInYaml(
  doc: Document,
  lineCounter: LineCounter,
  loc: readonly (string | number)[],
  atKey = false,
): YamlPosition | undefined {
  let node: unknown = doc.contents;
  let position = isNode(node) ? start(node, lineCounter) : undefined;
  for (let index = 0; index < loc.length; index += 1) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = loc[index];
    const last = index === loc.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => pairKey(item) === String(segment));
      if (pair === undefined) return position;
      if (last && atKey && isNode(pair.key)) return start(pair.key, lineCounter) ?? position;
      const keyPosition = isNode(pair.key) ? (start(pair.key, lineCounter) ?? position) : position;
      // `key:` with nothing after it has no value node; point at the key.
      if (!isNode(pair.value)) return keyPosition;
      // A block collection starts on the line after its key; the key is where the operator looks.
      if (last && !isScalar(pair.value)) return keyPosition;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!isNode(item)) return position;
      node = item;
    } else {
      return position;
    }
    if (isNode(node)) position = start(node, lineCounter) ?? position;
  }
  return position;
}
