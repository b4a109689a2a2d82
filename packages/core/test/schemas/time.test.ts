import { describe, expect, it } from 'vitest';
import { formatUtcTimestamp, parseUtcTimestamp, UtcTimestampSchema } from '@exlab/core/schemas';

const iso = (value: string): string | null => parseUtcTimestamp(value)?.toISOString() ?? null;

describe('formatUtcTimestamp', () => {
  it('writes YYYY-MM-DDTHH:MM:SSZ in UTC', () => {
    expect(formatUtcTimestamp(new Date('2026-04-17T14:32:00Z'))).toBe('2026-04-17T14:32:00Z');
  });

  it('drops milliseconds instead of rounding them', () => {
    expect(formatUtcTimestamp(new Date('2026-04-17T14:32:59.999Z'))).toBe('2026-04-17T14:32:59Z');
  });

  it('converts a time with an offset to UTC', () => {
    expect(formatUtcTimestamp(new Date('2026-04-17T16:32:00+02:00'))).toBe('2026-04-17T14:32:00Z');
  });

  it('round-trips through parseUtcTimestamp', () => {
    const text = formatUtcTimestamp(new Date('2030-01-01T00:00:01Z'));
    expect(parseUtcTimestamp(text)?.getTime()).toBe(Date.UTC(2030, 0, 1, 0, 0, 1));
  });
});

describe('parseUtcTimestamp', () => {
  it('reads a Z timestamp', () => {
    expect(iso('2026-04-17T14:32:00Z')).toBe('2026-04-17T14:32:00.000Z');
  });

  it('reads +00:00 and +0000 as UTC', () => {
    expect(iso('2026-04-17T14:32:00+00:00')).toBe('2026-04-17T14:32:00.000Z');
    expect(iso('2026-04-17T14:32:00+0000')).toBe('2026-04-17T14:32:00.000Z');
  });

  it('honours a non-zero offset', () => {
    expect(iso('2026-04-17T16:32:00+02:00')).toBe('2026-04-17T14:32:00.000Z');
    expect(iso('2026-04-17T09:32:00-05:00')).toBe('2026-04-17T14:32:00.000Z');
  });

  it('reads a naive timestamp as UTC whatever the local time zone', () => {
    expect(iso('2026-04-17T14:32:00')).toBe('2026-04-17T14:32:00.000Z');
    expect(iso('2026-04-17 14:32:00')).toBe('2026-04-17T14:32:00.000Z');
  });

  it('accepts minutes-only and fractional seconds', () => {
    expect(iso('2026-04-17T14:32Z')).toBe('2026-04-17T14:32:00.000Z');
    expect(iso('2026-04-17T14:32:00.123456Z')).toBe('2026-04-17T14:32:00.123Z');
  });

  it('ignores surrounding whitespace', () => {
    expect(iso('  2026-04-17T14:32:00Z\n')).toBe('2026-04-17T14:32:00.000Z');
  });

  it.each([
    '',
    'yesterday',
    '2026-04-17',
    '14:32:00',
    '2026/04/17T14:32:00Z',
    '2026-04-17T14:32:00 UTC',
    '2026-13-01T00:00:00Z',
    '2026-04-17T25:00:00Z',
    '2026-04-17T14:60:00Z',
  ])('returns null for %j', (value) => {
    expect(parseUtcTimestamp(value)).toBeNull();
  });

  it.each(['2026-02-30T00:00:00Z', '2026-04-31T12:00:00Z', '2026-02-29T00:00:00Z', '2026-04-17T24:00:00Z', '2026-00-10T00:00:00Z'])(
    'returns null for the impossible date %j instead of rolling it over',
    (value) => {
      expect(parseUtcTimestamp(value)).toBeNull();
    },
  );

  it('accepts 29 February in a leap year', () => {
    expect(iso('2028-02-29T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('UtcTimestampSchema', () => {
  it('accepts a timestamp and keeps the string as written', () => {
    expect(UtcTimestampSchema.parse('2026-04-17T14:32:00+00:00')).toBe('2026-04-17T14:32:00+00:00');
  });

  it('rejects an unparseable value with a message showing the expected form', () => {
    const result = UtcTimestampSchema.safeParse('2026-02-30T00:00:00Z');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('expected a UTC timestamp like 2026-04-17T14:32:00Z');
    expect(UtcTimestampSchema.safeParse(1_700_000_000).success).toBe(false);
  });
});
