/**
 * Timestamps of log lines: year-less BSD syslog stamps (`Nov 22 04:51:47`) read in an IANA zone with
 * the year inferred by a YearTracker, and ISO 8601 / RFC 5424 stamps with or without an offset.
 * Zone offsets come from Intl.DateTimeFormat (one cached formatter per zone); no dependency.
 */
import type { ParseContext } from './types.js';

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const DAY_MS = 86_400_000;
/** A year-less stamp later than now + this is taken to belong to the previous year. */
const FUTURE_SLACK_MS = 2 * DAY_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for an unknown zone; call once when a parser is created. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** Offset of `timeZone` from UTC at instant `utcMs`, in ms (east positive). */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  if (timeZone === 'UTC') return 0;
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of formatter(timeZone).formatToParts(utcMs)) {
    const v = Number(p.value);
    if (p.type === 'year') y = v;
    else if (p.type === 'month') mo = v;
    else if (p.type === 'day') d = v;
    else if (p.type === 'hour') h = v;
    else if (p.type === 'minute') mi = v;
    else if (p.type === 'second') s = v;
  }
  const wholeSeconds = Math.floor(utcMs / 1000) * 1000;
  return Date.UTC(y, mo - 1, d, h, mi, s) - wholeSeconds;
}

/** Epoch ms of a wall-clock time in `timeZone` (month 0-11). In a DST gap/overlap the first offset wins. */
export function localToEpoch(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms = 0,
): number {
  const wall = Date.UTC(year, month, day, hour, minute, second, ms);
  if (timeZone === 'UTC') return wall;
  const first = zoneOffsetMs(timeZone, wall);
  const guess = wall - first;
  const second2 = zoneOffsetMs(timeZone, guess);
  return second2 === first ? guess : wall - second2;
}

/** Month index 0-11 of an English three-letter abbreviation, or -1. */
export function monthIndex(abbrev: string): number {
  if (abbrev.length !== 3) return -1;
  const i = MONTHS.indexOf(abbrev);
  return i >= 0 && i % 3 === 0 ? i / 3 : -1;
}

/** The fields of a BSD syslog stamp (`Nov 22 04:51:47`, `Jan  5 01:02:03.123`). */
export interface BsdStamp {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Characters the stamp took at the start of the text. */
  length: number;
}

const BSD_RE = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;

/** Reads a BSD stamp at the start of `text`, or null. */
export function parseBsdStamp(text: string): BsdStamp | null {
  const m = BSD_RE.exec(text);
  if (!m) return null;
  const month = monthIndex(m[1] ?? '');
  const day = Number(m[2]);
  const hour = Number(m[3]);
  const minute = Number(m[4]);
  const second = Number(m[5]);
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const frac = m[6];
  const ms = frac ? Math.floor(Number(frac) / 10 ** (frac.length - 3)) : 0;
  return { month, day, hour, minute, second: Math.min(second, 59), ms, length: m[0].length };
}

/**
 * Infers the year of year-less stamps: starts at ctx.year (or the year of ctx.now in the zone), moves
 * to the next year when the month goes from December to January, and never yields a time more than
 * two days after ctx.now (such a stamp is taken to be from the previous year, and the tracker follows).
 */
export class YearTracker {
  readonly timeZone: string;
  private readonly now: number;
  private year: number;
  private lastMonth = -1;

  constructor(ctx: ParseContext) {
    this.timeZone = ctx.timeZone ?? 'UTC';
    this.now = ctx.now;
    this.year = ctx.year ?? new Date(ctx.now + zoneOffsetMs(this.timeZone, ctx.now)).getUTCFullYear();
  }

  /** The year the next stamp would get if it had month `month`, without moving. */
  get currentYear(): number {
    return this.year;
  }

  /** Epoch ms of a BSD stamp, advancing the tracker. */
  resolve(s: BsdStamp): number {
    if (this.lastMonth === 11 && s.month === 0) this.year++;
    this.lastMonth = s.month;
    let ts = localToEpoch(this.timeZone, this.year, s.month, s.day, s.hour, s.minute, s.second, s.ms);
    while (ts > this.now + FUTURE_SLACK_MS) {
      this.year--;
      ts = localToEpoch(this.timeZone, this.year, s.month, s.day, s.hour, s.minute, s.second, s.ms);
    }
    return ts;
  }
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch ms of an ISO 8601 date-time (`2026-11-22T04:51:47.123+01:00`, `...Z`, or without an offset, then
 * read in `timeZone`), or NaN. RFC 5424 stamps are the strict form with `T` and an offset.
 */
export function parseIsoTimestamp(text: string, timeZone = 'UTC'): number {
  const m = ISO_RE.exec(text);
  if (!m) return NaN;
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Math.min(Number(m[6]), 59);
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  const frac = m[7];
  const ms = frac ? Math.floor(Number(frac.padEnd(3, '0').slice(0, 3))) : 0;
  const zone = m[8];
  if (zone === undefined) return localToEpoch(timeZone, year, month, day, hour, minute, second, ms);
  const wall = Date.UTC(year, month, day, hour, minute, second, ms);
  if (zone === 'Z' || zone === 'z') return wall;
  const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
  const digits = zone.length === 6 ? zone.slice(1, 3) + zone.slice(4) : zone.slice(1);
  const oh = Number(digits.slice(0, 2));
  const om = digits.length >= 4 ? Number(digits.slice(2, 4)) : 0;
  if (oh > 23 || om > 59) return NaN;
  return wall - sign * (oh * 60 + om) * 60_000;
}

const RFC5424_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an RFC 5424 TIMESTAMP; NaN for the nil value `-` or a malformed stamp. */
export function parseRfc5424Timestamp(text: string): number {
  return RFC5424_RE.test(text) ? parseIsoTimestamp(text) : NaN;
}
