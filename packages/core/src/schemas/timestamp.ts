// Timestamp helpers without zod: the process files (server.json, tray.lock, status.json) and the
// log lines use them, and a lifecycle command should not have to load zod for them.

/** Formats `date` as the cache timestamp form `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds). */
export function formatUtcTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const TIMESTAMP_PATTERN = /^((\d{4})-(\d{2})-(\d{2}))[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses a cache timestamp: `Z` or an offset is honoured, a naive value is read as UTC; null when unparseable. */
export function parseUtcTimestamp(value: string): Date | null {
  const match = TIMESTAMP_PATTERN.exec(value.trim());
  if (!match) return null;
  const [, day, year, month, dayOfMonth, time, zone] = match;
  // Date() rolls impossible values over (2026-02-30 becomes March 2, 24:00 the next day); refuse them instead.
  const calendarDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(dayOfMonth)));
  if (calendarDay.getUTCMonth() !== Number(month) - 1 || calendarDay.getUTCDate() !== Number(dayOfMonth) || Number(time?.slice(0, 2)) > 23)
    return null;
  const date = new Date(`${day}T${time}${zone ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}
