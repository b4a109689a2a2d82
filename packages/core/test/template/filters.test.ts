import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTemplateEnvironment, formatStrftime, renderString, TEMPLATE_FILTER_NAMES } from '@exlab/core/template';

const NOW = new Date('2026-04-17T14:32:05.123Z');
const env = createTemplateEnvironment({ clock: () => NOW });
const render = (source: string, context: Record<string, unknown> = {}): string => renderString(env, source, context);

describe('createTemplateEnvironment', () => {
  it('has every Jinja filter Copier templates use', () => {
    for (const name of TEMPLATE_FILTER_NAMES) expect(() => env.getFilter(name), name).not.toThrow();
  });

  it("knows Python's True, False and None", () => {
    expect(render('{{ True }} {{ False }} {% if None is none %}none{% endif %}')).toBe('true false none');
  });

  it('reads the system clock when no clock is given', () => {
    const year = String(new Date().getUTCFullYear());
    expect(renderString(createTemplateEnvironment(), "{{ '%Y' | strftime }}", {})).toBe(year);
  });
});

describe('strftime', () => {
  it('formats now from the piped format, as Ansible does (§5.2)', () => {
    expect(render("{{ '%Y-%m-%dT%H-%M-%S' | strftime }}")).toBe('2026-04-17T14-32-05');
  });

  it('formats epoch seconds given after an Ansible-style format', () => {
    expect(render("{{ '%Y-%m-%d %H:%M:%S' | strftime(0) }}")).toBe('1970-01-01 00:00:00');
    expect(render("{{ '%H:%M' | strftime(1776436320) }}")).toBe('14:32');
  });

  it('formats a date passed first, from an ISO text, a Date or epoch seconds', () => {
    expect(render("{{ d | strftime('%d %B %Y') }}", { d: '2026-04-17' })).toBe('17 April 2026');
    expect(render("{{ d | strftime('%H:%M') }}", { d: NOW })).toBe('14:32');
    expect(render("{{ d | strftime('%Y') }}", { d: 86_400 * 366 })).toBe('1971');
  });

  it('formats the special value "now", in any case, with the injected clock', () => {
    expect(render("{{ 'now' | strftime('%H:%M:%S') }} {{ 'NOW' | strftime('%j') }}")).toBe('14:32:05 107');
  });

  it('reads a time without an offset as UTC and converts one with an offset to UTC', () => {
    expect(render("{{ d | strftime('%H:%M %Z %z') }}", { d: '2026-04-17T14:32' })).toBe('14:32 UTC +0000');
    expect(render("{{ d | strftime('%Y-%m-%d %H:%M') }}", { d: '2026-04-17T00:30:00+02:00' })).toBe('2026-04-16 22:30');
    expect(render("{{ d | strftime('%H:%M:%S.%f') }}", { d: '2026-04-17 08:05:09.25Z' })).toBe('08:05:09.250000');
  });

  it('reads the run folder stamp with dashes between the time parts', () => {
    expect(render("{{ d | strftime('%d/%m/%y %H:%M') }}", { d: '2026-04-17T14-32' })).toBe('17/04/26 14:32');
  });

  it.each([
    ['%Y %m %d %H %M %S', '2026 04 17 14 32 05'],
    ['%y %b %B %a %A', '26 Apr April Fri Friday'],
    ['%j %p %I', '107 PM 02'],
    ['%Z %z %%', 'UTC +0000 %'],
    ['%F %T', '2026-04-17 14:32:05'],
    ['%c', 'Fri Apr 17 14:32:05 2026'],
    ['%x %X', '04/17/26 14:32:05'],
    ['%u %w %U %W %V %G', '5 5 15 15 16 2026'],
    ['%-d.%-m. %-H h %e', '17.4. 14 h 17'],
    ['100%', '100%'],
    ['%Q stays', '%Q stays'],
  ])('formats %j', (format, expected) => {
    expect(formatStrftime(NOW, format)).toBe(expected);
  });

  it('writes midnight and noon as 12 AM and 12 PM, and pads single digits', () => {
    expect(formatStrftime(new Date('2026-01-02T00:07:03Z'), '%I %p %d %m %j %e|%-d')).toBe('12 AM 02 01 002  2|2');
    expect(formatStrftime(new Date('2026-01-02T12:00:00Z'), '%I %p')).toBe('12 PM');
  });

  it('counts ISO weeks across the new year', () => {
    expect(formatStrftime(new Date('2027-01-01T00:00:00Z'), '%G-W%V')).toBe('2026-W53');
    expect(formatStrftime(new Date('2024-12-30T00:00:00Z'), '%G-W%V')).toBe('2025-W01');
  });

  it.each([
    ['not a date', /not an ISO 8601 date/],
    ['2026-02-30', /not a real date/],
    ['2026-04-17T25:00', /not a real date/],
  ])('refuses the date %j, naming it', (value, message) => {
    expect(() => render("{{ d | strftime('%Y') }}", { d: value })).toThrow(message);
  });

  it('refuses a missing date and a non-text format', () => {
    expect(() => render("{{ missing | strftime('%Y') }}")).toThrow(/needs a date/);
    expect(() => render('{{ 5 | strftime }}')).toThrow(/piped value is the format/);
  });
});

describe('to_json and to_nice_json', () => {
  const data = { b: 1, a: [1, 2.5, 'x'], c: { d: null, e: true }, f: 'é"' };

  it('writes one-line JSON with Python separators, keys in order', () => {
    expect(render('{{ data | to_json }}', { data })).toBe('{"b": 1, "a": [1, 2.5, "x"], "c": {"d": null, "e": true}, "f": "é\\""}');
  });

  it('sorts keys and indents on request', () => {
    expect(render('{{ data | to_json(sort_keys=true) }}', { data: { b: 1, a: 2 } })).toBe('{"a": 2, "b": 1}');
    expect(render('{{ data | to_json(indent=1) }}', { data: { a: [1] } })).toBe('{\n "a": [\n  1\n ]\n}');
  });

  it('writes indented JSON, two spaces by default, that parses back to the data', () => {
    const text = render('{{ data | to_nice_json }}', { data });
    expect(text.split('\n').slice(0, 3)).toEqual(['{', '  "b": 1,', '  "a": [']);
    expect(JSON.parse(text)).toEqual(data);
    expect(render('{{ data | to_nice_json(4) }}', { data: { a: 1 } })).toBe('{\n    "a": 1\n}');
  });

  it('writes empty containers, dates and missing values', () => {
    expect(render('{{ data | to_json }}', { data: { a: [], b: {}, d: new Date(0) } })).toBe(
      '{"a": [], "b": {}, "d": "1970-01-01T00:00:00.000Z"}',
    );
    expect(render('{{ missing | to_json }}')).toBe('null');
  });

  it('refuses an unknown argument, naming the allowed ones', () => {
    expect(() => render('{{ 1 | to_nice_json(width=3) }}')).toThrow(/unknown argument "width"; allowed: indent, sort_keys/);
  });
});

describe('to_nice_yaml', () => {
  it('writes block-style YAML with two-space indent, keys in order, lists as PyYAML writes them', () => {
    const data = { sample: 'S-1', channels: [{ name: 'DAPI', nm: 405 }], flags: { z: true } };
    expect(render('{{ data | to_nice_yaml }}', { data })).toBe('sample: S-1\nchannels:\n- name: DAPI\n  nm: 405\nflags:\n  z: true\n');
  });

  it('quotes text a YAML 1.1 reader would take for a boolean or a time, and never folds long text', () => {
    const long = 'word '.repeat(40).trim();
    const text = render('{{ data | to_nice_yaml }}', { data: { a: 'yes', b: '08:00', c: long } });
    expect(parseYaml(text, { version: '1.1' })).toEqual({ a: 'yes', b: '08:00', c: long });
    expect(text.split('\n')).toHaveLength(4);
  });

  it('takes indent and sort_keys', () => {
    expect(render('{{ data | to_nice_yaml(indent=4, sort_keys=true) }}', { data: { b: { c: 1 }, a: 2 } })).toBe('a: 2\nb:\n    c: 1\n');
  });
});

describe('regex_replace', () => {
  it('replaces every match, with Python-style \\1 back-references', () => {
    expect(render("{{ 'S-001 / S-002' | regex_replace('S-(\\\\d+)', 'sample_\\\\1') }}")).toBe('sample_001 / sample_002');
  });

  it('understands \\g<name>, (?P<name>...) and \\g<0>', () => {
    expect(render("{{ 'ab12' | regex_replace('(?P<letters>[a-z]+)(?P<digits>\\\\d+)', '\\\\g<digits>-\\\\g<letters>:\\\\g<0>') }}")).toBe(
      '12-ab:ab12',
    );
  });

  it('treats $ in the replacement as text and an unmatched group as empty', () => {
    expect(render("{{ 'a' | regex_replace('(a)|(b)', '$1[\\\\2]') }}")).toBe('$1[]');
  });

  it('takes ignorecase and multiline, and matches $ before a final newline as Python does', () => {
    expect(render("{{ 'Ab ab' | regex_replace('ab', 'x', ignorecase=true) }}")).toBe('x x');
    expect(render("{{ v | regex_replace('^x', 'y', multiline=true) }}", { v: 'x1\nx2' })).toBe('y1\ny2');
    expect(render("{{ v | regex_replace('end$', 'END') }}", { v: 'the end\n' })).toBe('the END\n');
    expect(render("{{ v | regex_replace('(?i)^A', 'b') }}", { v: 'abc' })).toBe('bbc');
  });

  it('replaces with nothing when no replacement is given, and accepts non-text input', () => {
    expect(render("{{ 'a-b-c' | regex_replace('-') }}")).toBe('abc');
    expect(render("{{ 405 | regex_replace('0', 'o') }}")).toBe('4o5');
  });

  it('refuses a reference to a group the pattern lacks, and a bad pattern', () => {
    expect(() => render("{{ 'a' | regex_replace('(a)', '\\\\2') }}")).toThrow(/group 2, but the pattern has 1/);
    expect(() => render("{{ 'a' | regex_replace('(', 'x') }}")).toThrow(/not a valid pattern/);
  });
});

describe('lower, upper and title', () => {
  it('changes case and treats a missing value as empty', () => {
    expect(render('{{ "MiXeD" | lower }} {{ "MiXeD" | upper }} [{{ missing | upper }}]')).toBe('mixed MIXED []');
  });

  it('title-cases like Jinja2: words start after spaces, hyphens and opening brackets', () => {
    expect(render('{{ v | title }}', { v: "o'neil-smith lab (confocal) [room b]" })).toBe("O'neil-Smith Lab (Confocal) [Room B]");
    expect(render('{{ v | title }}', { v: 'hELLO\twORLD  twice' })).toBe('Hello\tWorld  Twice');
  });

  it('accepts numbers and booleans, which nunjucks would refuse', () => {
    expect(render('{{ 5 | title }} {{ true | upper }}')).toBe('5 TRUE');
  });
});
