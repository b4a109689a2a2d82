import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/schemas/index.js';
import { sortFindings } from '../../src/validator/index.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    rule: 'orphan',
    tier: 'soft',
    run_path: '/lab/EQ/P',
    offending_path: '/lab/EQ/P',
    offending_kind: 'directory_segment',
    matched_token: null,
    rule_detail: 'x',
    synced_under_prior_policy: false,
    override_active: false,
    ...overrides,
  };
}

describe('sortFindings (core.md H13)', () => {
  const ordered: Finding[] = [
    finding({ rule: 'unresolved_placeholder_token', tier: 'hard', run_path: '/lab/EQ/P/Runs/Run_Z' }),
    finding({ rule: 'illegal_filesystem_character', tier: 'hard', run_path: '/lab/EQ/P/Runs/Run_a', matched_token: ':' }),
    finding({ rule: 'illegal_filesystem_character', tier: 'hard', run_path: '/lab/EQ/P/Runs/Run_a', matched_token: '?' }),
    finding({ rule: 'unresolved_placeholder_token', tier: 'hard', run_path: '/lab/EQ/P/Runs/Run_a' }),
    finding({ rule: 'missing_required_field', run_path: '/lab/EQ/A', offending_kind: 'file_content', matched_token: 'irb' }),
    finding({
      rule: 'malformed_yaml_front_matter',
      run_path: '/lab/EQ/P',
      offending_path: '/lab/EQ/P/README.md',
      offending_kind: 'file_content',
    }),
    finding({ rule: 'orphan', run_path: '/lab/EQ/P' }),
    finding({ rule: 'unsafe_project_name', run_path: '/lab/EQ/P', matched_token: null, rule_detail: 'a' }),
    finding({ rule: 'unsafe_project_name', run_path: '/lab/EQ/P', matched_token: null, rule_detail: 'b' }),
    finding({ rule: 'unsafe_project_name', run_path: '/lab/EQ/P', matched_token: ' ' }),
  ];

  it('puts hard findings first, then orders by run_path, rule, offending_path, kind, token (null first) and rule_detail', () => {
    expect(sortFindings([...ordered].reverse())).toEqual(ordered);
  });

  it('compares code units, not locale order (upper case sorts before lower case)', () => {
    const upper = finding({ run_path: '/lab/EQ/Zeta' });
    const lower = finding({ run_path: '/lab/EQ/alpha' });
    expect(sortFindings([lower, upper])).toEqual([upper, lower]);
  });

  it('gives the same order whatever the input order', () => {
    const shuffled = [
      ordered[3],
      ordered[8],
      ordered[0],
      ordered[5],
      ordered[9],
      ordered[1],
      ordered[7],
      ordered[2],
      ordered[6],
      ordered[4],
    ];
    expect(sortFindings(shuffled as Finding[])).toEqual(ordered);
  });
});
