import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './proxy-event.js';

describe('isoTime', () => {
  // First call of the module: nothing cached yet, and the second before the epoch (-1) must not look cached.
  it('formats the last second before the epoch on a fresh cache', () => {
    expect(isoTime(-21)).toBe('1969-12-31T23:59:59.979Z');
  });

  it('equals Date#toISOString, whatever the order of the instants', () => {
    const instant = fc.oneof(
      fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 }),
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_003_000 }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (list) => {
        for (const ms of list) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
    for (const ms of [0, 999, 1000, 1001, 1_700_000_000_005, 1_700_000_000_050, 1_700_000_000_500, 12.5])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
