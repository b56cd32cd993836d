import { describe, expect, it } from 'vitest';
import {
  YearTracker,
  localToEpoch,
  monthIndex,
  parseBsdStamp,
  parseIsoTimestamp,
  parseRfc5424Timestamp,
  zoneOffsetMs,
} from './time.js';

describe('time', () => {
  it('reads BSD stamps with one or two spaces before the day', () => {
    expect(parseBsdStamp('Nov 22 04:51:47 host')).toMatchObject({ month: 10, day: 22, hour: 4, length: 15 });
    expect(parseBsdStamp('Jan  5 01:02:03.250 x')).toMatchObject({ month: 0, day: 5, ms: 250, length: 19 });
    expect(parseBsdStamp('Foo 22 04:51:47')).toBeNull();
    expect(parseBsdStamp('Nov 32 04:51:47')).toBeNull();
    expect(monthIndex('Dec')).toBe(11);
    expect(monthIndex('ecJ')).toBe(-1);
  });

  it('computes zone offsets across DST', () => {
    expect(zoneOffsetMs('Europe/Berlin', Date.UTC(2026, 0, 15))).toBe(3_600_000);
    expect(zoneOffsetMs('Europe/Berlin', Date.UTC(2026, 6, 15))).toBe(7_200_000);
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 6, 15))).toBe(-4 * 3_600_000);
    expect(localToEpoch('Europe/Berlin', 2026, 6, 15, 12, 0, 0)).toBe(Date.UTC(2026, 6, 15, 10));
    expect(localToEpoch('Asia/Kolkata', 2026, 0, 1, 5, 30, 0)).toBe(Date.UTC(2026, 0, 1, 0, 0));
    expect(localToEpoch('UTC', 2026, 0, 1, 0, 0, 0, 5)).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 5));
  });

  it('infers the year: start year, December to January, never far in the future', () => {
    const y = new YearTracker({ now: Date.UTC(2026, 10, 22), year: 2024 });
    expect(y.resolve(parseBsdStamp('Dec 31 23:00:00')!)).toBe(Date.UTC(2024, 11, 31, 23));
    expect(y.resolve(parseBsdStamp('Jan  1 00:00:00')!)).toBe(Date.UTC(2025, 0, 1));
    expect(y.resolve(parseBsdStamp('Jan  1 00:00:00')!)).toBe(Date.UTC(2025, 0, 1));
    expect(y.currentYear).toBe(2025);

    const z = new YearTracker({ now: Date.UTC(2027, 0, 2) });
    expect(z.resolve(parseBsdStamp('Dec 30 10:00:00')!)).toBe(Date.UTC(2026, 11, 30, 10));
    expect(z.resolve(parseBsdStamp('Jan  1 10:00:00')!)).toBe(Date.UTC(2027, 0, 1, 10));

    const f = new YearTracker({ now: Date.UTC(2026, 2, 1) });
    expect(f.resolve(parseBsdStamp('Jun  1 00:00:00')!)).toBe(Date.UTC(2025, 5, 1));
  });

  it('reads ISO 8601 and RFC 5424 stamps', () => {
    expect(parseIsoTimestamp('2026-11-22T04:51:47Z')).toBe(Date.UTC(2026, 10, 22, 4, 51, 47));
    expect(parseIsoTimestamp('2026-11-22T04:51:47.123456+01:00')).toBe(
      Date.UTC(2026, 10, 22, 3, 51, 47, 123),
    );
    expect(parseIsoTimestamp('2026-11-22 04:51:47,5-0230')).toBe(Date.UTC(2026, 10, 22, 7, 21, 47, 500));
    expect(parseIsoTimestamp('2026-07-01T12:00:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 10));
    expect(parseIsoTimestamp('2026-13-01T00:00:00Z')).toBeNaN();
    expect(parseRfc5424Timestamp('2019-07-08T17:40:16.954167-04:00')).toBe(
      Date.UTC(2019, 6, 8, 21, 40, 16, 954),
    );
    expect(parseRfc5424Timestamp('-')).toBeNaN();
    expect(parseRfc5424Timestamp('2019-07-08 17:40:16Z')).toBeNaN();
  });
});
