import { loadVectors } from '../test-vectors.js';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../types.js';
import { DETECT_SAMPLE_LINES, detectFormat } from './detect-format.js';
import type { DetectedFormat } from './detect-format.js';

interface Vector {
  name: string;
  lines: string[];
  format: DetectedFormat | null;
  confidence?: number;
}

const vectors = loadVectors<Vector>(new URL('./testdata/vectors.jsonl', import.meta.url));

const ACCESS = '203.0.113.9 - - [22/Nov/2026:04:51:47 +0000] "GET / HTTP/1.1" 200 5 "-" "x"';
const JSONL = '{"@timestamp":"2026-11-22T04:51:47Z"}';

describe('detectFormat vectors', () => {
  it('has the hand-written vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(25);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const d = detectFormat(v.lines);
    if (v.format === null) {
      expect(d).toBeNull();
      return;
    }
    expect(d?.format).toBe(v.format);
    if (v.confidence !== undefined) expect(d?.confidence).toBeCloseTo(v.confidence, 6);
  });
});

describe('detectFormat', () => {
  it(`examines only the first ${DETECT_SAMPLE_LINES} non-empty lines`, () => {
    const sample = [...Array<string>(DETECT_SAMPLE_LINES).fill(ACCESS), ...Array<string>(500).fill(JSONL)];
    expect(detectFormat(sample)).toEqual({ format: 'access', confidence: 1 });
    const withBlanks = ['', ...Array<string>(DETECT_SAMPLE_LINES - 1).fill(JSONL), '', ACCESS, ACCESS];
    expect(detectFormat(withBlanks)).toEqual({
      format: 'jsonl',
      confidence: (DETECT_SAMPLE_LINES - 1) / DETECT_SAMPLE_LINES,
    });
  });

  it('counts an over-long line as examined without a signature', () => {
    const long = `{"a":"${'x'.repeat(MAX_LINE_CHARS)}"}`;
    expect(detectFormat([long, JSONL])).toEqual({ format: 'jsonl', confidence: 0.5 });
    expect(detectFormat([long])).toBeNull();
  });
});
