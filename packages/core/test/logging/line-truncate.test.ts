import { describe, expect, it } from 'vitest';
import { LOG_TRUNCATION_MARKER } from '../../src/constants/index.js';
import { truncateLogLine } from '../../src/logging/index.js';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('truncateLogLine', () => {
  it('keeps a line of exactly 1024 bytes unchanged', () => {
    const line = 'a'.repeat(1024);
    expect(truncateLogLine(line)).toBe(line);
  });

  it('cuts a 1025-byte line to exactly 1024 bytes ending with the marker', () => {
    const out = truncateLogLine('a'.repeat(1025));
    expect(bytes(out)).toBe(1024);
    expect(out).toBe(`${'a'.repeat(1024 - LOG_TRUNCATION_MARKER.length)}${LOG_TRUNCATION_MARKER}`);
  });

  it('cuts a line of 2000 two-byte characters on a character boundary', () => {
    const out = truncateLogLine('é'.repeat(2000));
    expect(bytes(out)).toBe(1024);
    expect(out).toBe(`${'é'.repeat(505)}${LOG_TRUNCATION_MARKER}`);
  });

  it('backs off rather than split a character that straddles the cut', () => {
    const out = truncateLogLine(`a${'é'.repeat(2000)}`);
    // 1010 bytes of budget would end inside the 505th é, so only 504 fit after the `a`.
    expect(out).toBe(`a${'é'.repeat(504)}${LOG_TRUNCATION_MARKER}`);
    expect(bytes(out)).toBe(1023);
    expect(out).not.toContain('\uFFFD');
  });

  it('never splits a four-byte character', () => {
    const out = truncateLogLine(`ab${'😀'.repeat(400)}`);
    expect(bytes(out)).toBeLessThanOrEqual(1024);
    expect(out).not.toContain('\uFFFD');
    expect(out.endsWith(`😀${LOG_TRUNCATION_MARKER}`)).toBe(true);
  });

  it('cuts into the prefix and still adds the marker when the prefix alone is too long', () => {
    const prefix = `2026-04-17T14:32:00Z [INFO ] [host:${'h'.repeat(1100)}]`;
    const out = truncateLogLine(`${prefix} msg`);
    expect(bytes(out)).toBe(1024);
    expect(out.startsWith('2026-04-17T14:32:00Z [INFO ] [host:hhh')).toBe(true);
    expect(out.endsWith(LOG_TRUNCATION_MARKER)).toBe(true);
  });

  it('honours a custom byte limit', () => {
    expect(truncateLogLine('abcdefghijklmnopqrstuvwxyz', 20)).toBe(`abcdef${LOG_TRUNCATION_MARKER}`);
  });
});
