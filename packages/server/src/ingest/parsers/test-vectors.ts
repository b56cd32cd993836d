/**
 * Test vectors of the parsers: one JSON object per line in a `testdata/*.jsonl` file beside the
 * test (blank lines skipped).
 */
import { readFileSync } from 'node:fs';

export function loadVectors<T>(file: URL): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
