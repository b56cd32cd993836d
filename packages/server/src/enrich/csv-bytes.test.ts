/** The byte-level CSV helpers: line splitting across reads, and IPv6 parsing checked against the engine's. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIPv6 } from '@palisade/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAsnDir } from './asn.js';
import { CHUNK_BYTES, countLines, eachLine, parseIPv6Bytes } from './csv-bytes.js';

const words = (s: string): number[] | null => {
  const out = new Uint32Array(4);
  return parseIPv6Bytes(Buffer.from(s, 'latin1'), 0, s.length, out, 0) ? [...out] : null;
};

describe('parseIPv6Bytes', () => {
  it('agrees with the engine parser on tricky text', () => {
    const cases = [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '2001:db8::1',
      'ffff:FFFF:ffff:ffff:ffff:ffff:ffff:ffff',
      '::ffff:1.2.3.4',
      '64:ff9b::192.0.2.33',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':1',
      '1:',
      '1:::2',
      '12345::',
      'g::',
      '::1.2.3',
      '::1.2.3.04',
      '::256.1.1.1',
      '1.2.3.4',
      '',
      ':',
      '1:2:3:4:5:6:7',
      '::1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:1.2.3.4',
    ];
    for (const c of cases) expect(words(c), c).toEqual(parseIPv6(c));
  });

  it('agrees with the engine parser on every bound of the shipped ASN data', () => {
    const text = readFileSync(join(defaultAsnDir(), 'asn-ipv6.csv'), 'latin1');
    let n = 0;
    for (const line of text.split('\n')) {
      const [a, b] = line.split(',');
      for (const s of [a, b]) {
        if (!s || n++ % 7 !== 0) continue; // a sample keeps the test quick
        expect(words(s), s).toEqual(parseIPv6(s));
      }
    }
    expect(n).toBeGreaterThan(100_000);
  });
});

describe('eachLine and countLines', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('splits CRLF and LF lines across reads, with and without a final newline', async () => {
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < CHUNK_BYTES * 3; i++)
      lines.push(`line ${i} ${'x'.repeat(i % 300)}`);
    for (const [name, body] of [
      ['lf.txt', lines.join('\n') + '\n'],
      ['crlf.txt', lines.join('\r\n')],
    ] as const) {
      const p = join(dir, name);
      writeFileSync(p, body);
      const got: string[] = [];
      await eachLine(p, 1024, (buf, s, e) => got.push(buf.toString('latin1', s, e)));
      expect(got).toEqual(lines);
      expect(await countLines(p)).toBeGreaterThanOrEqual(lines.length);
    }
  });

  it('passes an over-long line once as an over-long span and skips the rest of it', async () => {
    const p = join(dir, 'long.txt');
    const long = 'y'.repeat(CHUNK_BYTES * 2 + 10);
    writeFileSync(p, `a\n${long}\nb\n${'z'.repeat(2000)}`);
    const got: Array<string | number> = [];
    await eachLine(p, 1024, (buf, s, e) => got.push(e - s > 1024 ? e - s : buf.toString('latin1', s, e)));
    expect(got).toEqual(['a', 1025, 'b', 1025]);
  });
});
