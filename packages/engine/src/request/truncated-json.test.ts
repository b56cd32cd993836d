import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeTruncatedJson } from './truncated-json.js';

describe('closeTruncatedJson', () => {
  it('closes at the last container boundary and returns the cut member', () => {
    // An opened container is a boundary too: it closes empty.
    expect(closeTruncatedJson('{"a":[1,2,{"b":"x"},{"c":"hal', 64)).toEqual({
      json: '{"a":[1,2,{"b":"x"},{}]}',
      rest: '"c":"hal',
    });
    expect(closeTruncatedJson('{"a":[1,2,{"b":"x"},3', 64)).toEqual({
      json: '{"a":[1,2,{"b":"x"}]}',
      rest: ',3',
    });
    expect(closeTruncatedJson('{"name":"x.png","data":"iVBORw0KGgo', 64)).toEqual({
      json: '{"name":"x.png"}',
      rest: ',"data":"iVBORw0KGgo',
    });
    expect(closeTruncatedJson('{"data":"iVBOR', 64)).toEqual({ json: '{}', rest: '"data":"iVBOR' });
  });
  it('ignores brackets and commas inside strings, escapes included', () => {
    expect(closeTruncatedJson('[{"q":"a,]}\\"[,"},{"r":"b', 64)?.json).toBe('[{"q":"a,]}\\"[,"},{}]');
  });
  it('has nothing to cut in a top-level scalar, and gives up past the depth limit', () => {
    expect(closeTruncatedJson('"a long string cut in ha', 64)).toBeNull();
    expect(closeTruncatedJson('[[[[1,', 3)).toBeNull();
  });
  it('every prefix of valid JSON closes to valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = JSON.stringify(value);
        for (let n = 1; n < text.length; n++) {
          const r = closeTruncatedJson(text.slice(0, n), 64);
          if (r) expect(() => JSON.parse(r.json) as unknown, r.json).not.toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });
});
