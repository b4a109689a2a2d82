import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { extractFrontMatter, frontMatterYamlProblem } from '../../src/validator/front-matter.js';
import { isSimpleYaml } from '../../src/validator/yaml-subset.js';

/** The §10.7 example front matter. */
const SPEC_FRONT_MATTER = `readme_schema_version: "1.1"

# Mandatory core fields (backend-enforced; User Interaction Spec Section 2)
label: "Cortex Q3 calibration sweep"
operator: "asmith"
objective: >
  Characterize layer-specific synaptic density in fixed mouse cortex sections
  across three developmental timepoints. This run is a calibration sweep at
  488 nm to validate laser power settings before the production acquisitions.

# Template-declared fields (confocal_run_v2)
template_fields:
  sample_type: "Fixed tissue"
  protocol_reference: "SOP-CONF-2025-14"

# Config-declared fields (lab policy)
config_fields:
  irb_protocol: "IRB-2026-0042"

# User-added ad-hoc fields
custom_fields:
  - label: "Collaborator"
    value: "Dr. J. Lee (Neurobiology)"
  - label: "Expected duration (hr)"
    value: "3.5"

# Auto-filled system fields
system:
  created: "2026-04-17T14:32:00Z"
  created_by: "asmith"
  equipment:
    id: "CONFOCAL_01"
    label: "Confocal Microscope 1"
  template:
    name: "confocal_run_v2"
    version: "2.1"
  project: "PROJ-0042"
  run: "Run_2026-04-17T14-32"
  run_kind: "experimental"
`;

function parses(text: string): boolean {
  return parseDocument(text).errors.length === 0;
}

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('extractFrontMatter', () => {
  it('finds the block between the first two --- lines', () => {
    expect(extractFrontMatter('---\na: 1\n---\n\n# Title\n')).toEqual({ kind: 'block', text: 'a: 1\n', offset: 4 });
  });

  it('treats a file whose first line is not --- as prose', () => {
    expect(extractFrontMatter('# Title\n---\na: 1\n---\n')).toEqual({ kind: 'none' });
    expect(extractFrontMatter('')).toEqual({ kind: 'none' });
  });

  it('accepts a BOM and CRLF line ends', () => {
    expect(extractFrontMatter('\ufeff---\r\na: 1\r\n---\r\n')).toMatchObject({ kind: 'block', text: 'a: 1\r\n' });
  });

  it('needs the closing --- within the first 200 lines', () => {
    expect(extractFrontMatter(`---\n${'a: 1\n'.repeat(198)}---\n`).kind).toBe('block');
    expect(extractFrontMatter(`---\n${'a: 1\n'.repeat(199)}---\n`).kind).toBe('unterminated');
    expect(extractFrontMatter('---\na: 1\n').kind).toBe('unterminated');
  });
});

describe('front matter YAML check', () => {
  it('proves the §10.7 README front matter valid without a full parse', () => {
    expect(isSimpleYaml(SPEC_FRONT_MATTER)).toBe(true);
    expect(parses(SPEC_FRONT_MATTER)).toBe(true);
  });

  it('leaves duplicate keys, flow mappings, tabs and anchors to the full parser', () => {
    for (const text of ['a: 1\na: 2\n', 'a: {b: 1}\n', 'a:\n\tb: 1\n', 'a: &x 1\nb: *x\n', 'true: 1\nTrue: 2\n']) {
      expect(isSimpleYaml(text), text).toBe(false);
    }
    expect(frontMatterYamlProblem('a: 1\na: 2\n')).toMatch(/^DUPLICATE_KEY at line \d+$/);
    expect(frontMatterYamlProblem('a: {b: 1}\n')).toBeNull();
  });

  it('names the file line of a YAML error', () => {
    // The block starts on line 2 of the file, so its third line is line 4.
    expect(frontMatterYamlProblem('a: 1\nb: 2\nc: ]\n')).toBe('UNEXPECTED_TOKEN at line 4');
  });

  it('never proves valid a text the full parser rejects (seeded corpus)', () => {
    const keys = ['a', 'b', 'label', 'x-y', '"q k"', 'True', 'null'];
    const values = [
      '',
      'plain',
      'two words',
      '"dq"',
      '"dq \\" esc"',
      '"bad \\q"',
      '"open',
      'cont"',
      "'sq'",
      "'it''s'",
      '{}',
      '[]',
      '|',
      '|-',
      '>',
      '|2',
      '- x',
      '-5',
      'a:b',
      'a: b',
      'x #c',
      'x#c',
      '#c',
      ':x',
      '&a x',
      '*a',
      '"x" #c',
      '"x"#c',
      '"x" y',
      'é',
      '"\\x41"',
      '"\\x4"',
      '{a: 1}',
      'a\tb',
      'end:',
      '...',
    ];
    const indents = ['', '', ' ', '  ', '  ', '   ', '    ', '\t'];
    const random = seeded(20260514);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    let accepted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const lines: string[] = [];
      for (let j = 0, count = 1 + Math.floor(random() * 7); j < count; j += 1) {
        const indent = pick(indents);
        const r = random();
        if (r < 0.45) lines.push(`${indent}${pick(keys)}: ${pick(values)}`);
        else if (r < 0.6) lines.push(`${indent}- ${random() < 0.5 ? `${pick(keys)}: ${pick(values)}` : pick(values)}`);
        else if (r < 0.72) lines.push(`${indent}${pick(values)}`);
        else if (r < 0.8) lines.push(`${indent}# note`);
        else if (r < 0.88) lines.push(indent);
        else lines.push(`${indent}${pick(keys)}:`);
      }
      const text = `${lines.join(random() < 0.1 ? '\r\n' : '\n')}\n`;
      if (!isSimpleYaml(text)) continue;
      accepted += 1;
      expect(parses(text), JSON.stringify(text)).toBe(true);
    }
    expect(accepted).toBeGreaterThan(500);
  });
});
