import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECODERS, applyDecoder, type DecoderName } from './index.js';

const vectors = JSON.parse(readFileSync(new URL('./testdata/decoders.json', import.meta.url), 'utf8')) as {
  decoder: DecoderName;
  in: string;
  out: string;
}[];

describe('decoders', () => {
  it.each(vectors.map((v) => [v.decoder, v.in, v.out] as const))('%s(%j) = %j', (name, input, out) => {
    const r = applyDecoder(name, input);
    expect(r.value).toBe(out);
    expect(r.changed).toBe(out !== input);
  });

  it('every decoder has vectors', () => {
    const covered = new Set(vectors.map((v) => v.decoder));
    for (const name of Object.keys(DECODERS)) expect(covered, name).toContain(name);
  });

  it('returns the same string when nothing changes (the "changed" signal)', () => {
    for (const fn of Object.values(DECODERS)) {
      const s = 'plain text 123';
      expect(fn(s)).toBe(s);
    }
  });
});
