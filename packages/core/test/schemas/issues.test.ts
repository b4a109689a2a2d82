import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatFieldPath, zodIssues } from '@exlab/core/schemas';

describe('formatFieldPath', () => {
  it('joins names with dots and puts indexes in brackets', () => {
    expect(formatFieldPath(['equipment', 1, 'transport', 'type'])).toBe('equipment[1].transport.type');
  });

  it('renders the document root as an empty string', () => {
    expect(formatFieldPath([])).toBe('');
  });

  it('handles leading and consecutive indexes', () => {
    expect(formatFieldPath([0, 'id'])).toBe('[0].id');
    expect(formatFieldPath(['grid', 2, 3])).toBe('grid[2][3]');
  });

  it('renders a symbol segment by its description', () => {
    expect(formatFieldPath(['a', Symbol('s')])).toBe('a.Symbol(s)');
  });
});

describe('zodIssues', () => {
  const Schema = z.strictObject({
    paths: z.strictObject({ local_root: z.string() }),
    equipment: z.array(z.strictObject({ id: z.string(), mode: z.enum(['nas', 'stage']) })),
  });

  it('locates a nested problem by dotted path and keeps the raw segments', () => {
    const result = Schema.safeParse({
      paths: { local_root: '/d' },
      equipment: [
        { id: 'A', mode: 'nas' },
        { id: 'B', mode: 'ftp' },
      ],
    });
    expect(result.success).toBe(false);
    const issues = zodIssues(result.error as z.ZodError);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'equipment[1].mode', loc: ['equipment', 1, 'mode'], code: 'invalid_value' });
    expect(issues[0]?.message).toContain('nas');
    expect(issues[0]?.message).toContain('stage');
  });

  it('reports each unknown key at its own path', () => {
    const result = Schema.safeParse({ paths: { local_root: '/d', nas_root: '/n', extra: 1 }, equipment: [], colour: 'red' });
    const issues = zodIssues(result.error as z.ZodError);
    expect(issues.map((i) => [i.path, i.code, i.message])).toEqual(
      expect.arrayContaining([
        ['paths.nas_root', 'unrecognized_keys', 'unknown field "nas_root"'],
        ['paths.extra', 'unrecognized_keys', 'unknown field "extra"'],
        ['colour', 'unrecognized_keys', 'unknown field "colour"'],
      ]),
    );
    expect(issues).toHaveLength(3);
    expect(issues.find((i) => i.path === 'paths.extra')?.loc).toEqual(['paths', 'extra']);
  });

  it('reports a problem with the whole document at the empty path', () => {
    const issues = zodIssues(Schema.safeParse('nope').error as z.ZodError);
    expect(issues).toEqual([expect.objectContaining({ path: '', loc: [], code: 'invalid_type' })]);
  });

  it('lists every problem, not just the first', () => {
    const issues = zodIssues(Schema.safeParse({ paths: {}, equipment: [{ id: 1, mode: 'nas' }] }).error as z.ZodError);
    expect(issues.map((i) => i.path).sort()).toEqual(['equipment[0].id', 'paths.local_root']);
  });
});
