import { describe, expect, it } from 'vitest';
import { bwlimitKiB, uploadLimitAt } from '../../src/sync/index.js';

// Local-time dates: the schedule is evaluated in the workstation's time zone (§7.1.7).
const at = (year: number, month: number, day: number, hour: number, minute = 0): Date => new Date(year, month - 1, day, hour, minute);
const weekdays = { upload_mbps: 50, schedule: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '08:00', to: '18:00' }] };

describe('bandwidth limits (S7)', () => {
  it('turns Mbit/s into KiB/s: 50 -> 6400, 8 -> 1024, never below 1', () => {
    expect(bwlimitKiB(50)).toBe(6400);
    expect(bwlimitKiB(8)).toBe(1024);
    expect(bwlimitKiB(0.001)).toBe(1);
  });

  it('is unlimited without upload_mbps and always limited without a schedule', () => {
    expect(uploadLimitAt(undefined, at(2026, 3, 4, 10))).toBeNull();
    expect(uploadLimitAt({ upload_mbps: null, schedule: [] }, at(2026, 3, 4, 10))).toBeNull();
    expect(uploadLimitAt({ upload_mbps: 8, schedule: [] }, at(2026, 3, 7, 3))).toBe(1024);
  });

  it('limits inside [from, to) on a listed day only: Wednesday 10:00 yes; 18:00, 07:00 and Saturday 10:00 no', () => {
    const schedule = { ...weekdays, schedule: weekdays.schedule.map((w) => ({ ...w, days: [...w.days] })) };
    expect(uploadLimitAt(schedule, at(2026, 3, 4, 10))).toBe(6400);
    expect(uploadLimitAt(schedule, at(2026, 3, 4, 8, 0))).toBe(6400);
    expect(uploadLimitAt(schedule, at(2026, 3, 4, 18))).toBeNull();
    expect(uploadLimitAt(schedule, at(2026, 3, 4, 7, 59))).toBeNull();
    expect(uploadLimitAt(schedule, at(2026, 3, 7, 10))).toBeNull();
    expect(uploadLimitAt(schedule, at(2026, 3, 8, 10))).toBeNull();
  });
});
