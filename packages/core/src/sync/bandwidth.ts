import { WEEKDAYS } from '../constants/index.js';
import type { Bandwidth } from '../schemas/index.js';

/** `upload_mbps` as the KiB/s both rclone and rsync take (§7.1.7): mbps x 1024 / 8, rounded, at least 1. */
export function bwlimitKiB(uploadMbps: number): number {
  return Math.max(1, Math.round((uploadMbps * 1024) / 8));
}

/**
 * The upload limit of an attempt starting at `now` (§7.1.7, S7), in KiB/s, or null for none: no
 * `upload_mbps` means unlimited; with no schedule the limit always applies; with one, only inside
 * a listed window `[from, to)` on a listed day, in the workstation's local time.
 */
export function uploadLimitAt(bandwidth: Bandwidth | undefined, now: Date): number | null {
  if (bandwidth === undefined || bandwidth.upload_mbps === null) return null;
  const limit = bwlimitKiB(bandwidth.upload_mbps);
  if (bandwidth.schedule.length === 0) return limit;
  // getDay(): 0 is Sunday; WEEKDAYS starts on Monday.
  const day = WEEKDAYS[(now.getDay() + 6) % 7];
  const minute = now.getHours() * 60 + now.getMinutes();
  const inside = bandwidth.schedule.some(
    (window) => day !== undefined && window.days.includes(day) && minuteOf(window.from) <= minute && minute < minuteOf(window.to),
  );
  return inside ? limit : null;
}

function minuteOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}
