import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unescapeText, unescapeUrl } from './access-unescape.js';

interface Vector {
  name: string;
  /** The field as the server logged it. */
  logged: string;
  url: string;
  text: string;
}

const vectors = readFileSync(new URL('./testdata/unescape.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector);

describe('access-log unescaping', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(unescapeUrl(v.logged, 0, v.logged.length)).toBe(v.url);
    expect(unescapeText(v.logged, 0, v.logged.length)).toBe(v.text);
  });

  it('reads only the given range, so an escape cut by its end stays as logged', () => {
    const line = '"GET /a\\x41 HTTP/1.1" "UA\\x22"';
    const t0 = line.indexOf('/');
    const t1 = line.indexOf(' ', t0);
    expect(unescapeUrl(line, t0, t1)).toBe('/aA');
    expect(unescapeUrl(line, t0, t1 - 1)).toBe('/a\\x4');
    const a0 = line.indexOf('UA');
    const a1 = line.length - 1;
    expect(unescapeText(line, a0, a1)).toBe('UA"');
    expect(unescapeText(line, a0, a1 - 1)).toBe('UA\\x2');
    expect(unescapeUrl('x\\', 0, 1)).toBe('x');
  });

  it('never reads past the text, whatever end it is given', () => {
    expect(unescapeUrl('a\\x4', 0, 99)).toBe('a\\x4');
    expect(unescapeText('a\\', 0, 99)).toBe('a\\');
  });
});
