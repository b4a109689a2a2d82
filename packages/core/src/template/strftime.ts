import { TemplateLoadError } from '../errors/index.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

// `2026-04-17`, `2026-04-17T14:32`, `2026-04-17 14:32:05.123Z`, `2026-04-17T14:32:05+02:00`, and the
// run-folder stamp `2026-04-17T14-32` (redesign §3.4) with `-` between the time parts.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})([:-])(\d{2})(?:\5(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function fail(message: string): never {
  throw new TemplateLoadError(`strftime: ${message}`, { field: 'strftime' });
}

/**
 * Reads the date a template passes to `strftime`: a Date, epoch seconds, an ISO 8601 date or
 * date-time (a time without an offset is UTC), or the word "now" (any case), which reads `clock`.
 */
export function toStrftimeDate(value: unknown, clock: () => Date): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail('the date is invalid');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`${value} is not a number of seconds since 1970-01-01`);
    return new Date(value * 1000);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    fail(
      `needs a date, an ISO 8601 text such as "2026-04-17T14:32:00Z", seconds since 1970 or "now" (got ${JSON.stringify(value ?? null)})`,
    );
  }
  const text = value.trim();
  if (text.toLowerCase() === 'now') return clock();
  const match = ISO_DATE.exec(text);
  if (!match) fail(`"${text}" is not an ISO 8601 date such as 2026-04-17 or 2026-04-17T14:32:00Z`);
  const [, y, mo, d, h = '00', , mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (digits.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0'));
  }
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offsetMinutes * 60_000;
  const date = new Date(utc);
  // Date.UTC rolls 2026-02-30 over into March; a date that does not exist is refused instead.
  const check = new Date(utc + offsetMinutes * 60_000);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    fail(`"${text}" is not a real date and time`);
  }
  return date;
}

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

// %U (weeks start on Sunday) and %W (weeks start on Monday): days before the first such day are week 0.
function weekNumber(date: Date, firstDay: 0 | 1): number {
  const weekday = (date.getUTCDay() + 7 - firstDay) % 7;
  return Math.floor((dayOfYear(date) - 1 - weekday + 7) / 7);
}

// ISO 8601 week and its year (%V, %G): the week with the year's first Thursday is week 1.
function isoWeek(date: Date): { year: number; week: number } {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7)));
  const year = thursday.getUTCFullYear();
  return { year, week: Math.floor((dayOfYear(thursday) - 1) / 7) + 1 };
}

function directive(date: Date, letter: string): string | undefined {
  const hour12 = date.getUTCHours() % 12 === 0 ? 12 : date.getUTCHours() % 12;
  switch (letter) {
    case 'a':
      return DAYS[date.getUTCDay()]?.slice(0, 3);
    case 'A':
      return DAYS[date.getUTCDay()];
    case 'b':
    case 'h':
      return MONTHS[date.getUTCMonth()]?.slice(0, 3);
    case 'B':
      return MONTHS[date.getUTCMonth()];
    case 'c':
      return formatStrftime(date, '%a %b %e %H:%M:%S %Y');
    case 'd':
      return pad(date.getUTCDate());
    case 'e':
      return pad(date.getUTCDate(), 2, ' ');
    case 'f':
      return pad(date.getUTCMilliseconds() * 1000, 6);
    case 'F':
      return formatStrftime(date, '%Y-%m-%d');
    case 'G':
      return String(isoWeek(date).year);
    case 'H':
      return pad(date.getUTCHours());
    case 'I':
      return pad(hour12);
    case 'j':
      return pad(dayOfYear(date), 3);
    case 'm':
      return pad(date.getUTCMonth() + 1);
    case 'M':
      return pad(date.getUTCMinutes());
    case 'p':
      return date.getUTCHours() < 12 ? 'AM' : 'PM';
    case 'S':
      return pad(date.getUTCSeconds());
    case 'T':
    case 'X':
      return formatStrftime(date, '%H:%M:%S');
    case 'u':
      return String(date.getUTCDay() === 0 ? 7 : date.getUTCDay());
    case 'U':
      return pad(weekNumber(date, 0));
    case 'V':
      return pad(isoWeek(date).week);
    case 'w':
      return String(date.getUTCDay());
    case 'W':
      return pad(weekNumber(date, 1));
    case 'x':
      return formatStrftime(date, '%m/%d/%y');
    case 'y':
      return pad(date.getUTCFullYear() % 100);
    case 'Y':
      return String(date.getUTCFullYear());
    case 'z':
      return '+0000';
    case 'Z':
      return 'UTC';
    case '%':
      return '%';
    default:
      return undefined;
  }
}

/**
 * Formats `date` in UTC with Python's `strftime` directives in the C locale (English names):
 * %a %A %b %B %c %d %e %f %F %G %h %H %I %j %m %M %p %S %T %u %U %V %w %W %x %X %y %Y %z %Z %%.
 * glibc's `%-d` form drops the padding. An unknown directive is kept as written, as glibc does.
 */
export function formatStrftime(date: Date, format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i += 1) {
    const ch = format[i] as string;
    if (ch !== '%' || i === format.length - 1) {
      out += ch;
      continue;
    }
    const unpadded = format[i + 1] === '-';
    const letter = format[i + (unpadded ? 2 : 1)] ?? '';
    const value = directive(date, letter);
    if (value === undefined) {
      out += ch;
      continue;
    }
    out += unpadded ? value.replace(/^[0 ]+(?=.)/, '') : value;
    i += unpadded ? 2 : 1;
  }
  return out;
}

/**
 * The `strftime` filter in both shapes templates use:
 * - Ansible's (jinja2-ansible-filters, §5.2): the format is the piped value, `'%Y-%m-%d' | strftime`
 *   formats now, `'%Y' | strftime(1713364320)` formats those epoch seconds;
 * - date first: `run_date | strftime('%d %B %Y')`, where the date is a Date, an ISO 8601 text,
 *   epoch seconds or "now".
 * Always UTC, like the run folder names; Ansible's local time would make the same run render
 * differently on two workstations.
 */
export function strftimeFilter(clock: () => Date): (value: unknown, arg?: unknown) => string {
  return (value, arg) => {
    if (arg === undefined || arg === null || typeof arg === 'number') {
      if (typeof value !== 'string') {
        fail(`with no format argument the piped value is the format, e.g. '%Y-%m-%d' | strftime (got ${JSON.stringify(value ?? null)})`);
      }
      return formatStrftime(arg === undefined || arg === null ? clock() : toStrftimeDate(arg, clock), value);
    }
    if (typeof arg !== 'string') fail(`the format must be text such as '%Y-%m-%d' (got ${JSON.stringify(arg)})`);
    return formatStrftime(toStrftimeDate(value, clock), arg);
  };
}
