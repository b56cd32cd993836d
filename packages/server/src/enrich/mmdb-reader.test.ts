/**
 * The MMDB reader against the `maxmind` package (the oracle, dev-only) on the shipped GeoLite2 city
 * files: identical records for random and edge addresses, with a roomy and with a tiny block cache.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { parseIp } from '@palisade/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAsnDir } from './asn.js';
import { defaultGeoDir, GEO_V4_FILE, GEO_V6_FILE } from './geo.js';
import { MmdbReader } from './mmdb-reader.js';
import { mulberry32 } from '../demo/prng.js';

/** Seeded, so a failure can be reproduced. */
const rng = mulberry32;

const v4Text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const v6Text = (w: readonly number[]) =>
  w.flatMap((x) => [(x >>> 16).toString(16), (x & 0xffff).toString(16)]).join(':');

const V4_EDGES = [0, 1, 0x7f000001, 0x08080808, 0x01010101, 0x0a000001, 0xc0a80001, 0xfffffffe, 0xffffffff];
const V6_EDGES: Array<[number, number, number, number]> = [
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 0xffff, 0x08080808],
  [0x20014860, 0x48600000, 0, 0x8888],
  [0x20010db8, 0, 0, 1],
  [0x2a000000, 0, 0, 0],
  [0xfe800000, 0, 0, 1],
  [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
];

describe.each([
  { name: '2 MiB cache', cacheBytes: 2 * 1024 * 1024 },
  { name: '4-block cache (evictions, spans)', cacheBytes: 4 * 4096 },
])('MmdbReader vs maxmind ($name)', ({ cacheBytes }) => {
  const dir = defaultGeoDir();
  let o4: Reader<never>;
  let o6: Reader<never>;
  let m4: MmdbReader;
  let m6: MmdbReader;
  beforeAll(() => {
    o4 = new Reader<never>(readFileSync(join(dir, GEO_V4_FILE)));
    o6 = new Reader<never>(readFileSync(join(dir, GEO_V6_FILE)));
    m4 = new MmdbReader(join(dir, GEO_V4_FILE), { cacheBytes });
    m6 = new MmdbReader(join(dir, GEO_V6_FILE), { cacheBytes });
  });
  afterAll(() => {
    m4.close();
    m6.close();
  });

  it('reads the metadata', () => {
    expect(m4.metadata).toMatchObject({
      binaryFormatMajorVersion: 2,
      ipVersion: o4.metadata.ipVersion,
      nodeCount: o4.metadata.nodeCount,
      recordSize: o4.metadata.recordSize,
      databaseType: o4.metadata.databaseType,
    });
    expect(m6.metadata).toMatchObject({ ipVersion: 6, nodeCount: o6.metadata.nodeCount });
    expect(m4.metadata.buildEpoch * 1000).toBe(o4.metadata.buildEpoch.getTime());
  });

  it('finds the same IPv4 records (20,000 random plus edges, in the v4 and the v6 tree)', () => {
    const next = rng(cacheBytes);
    const ips = [...V4_EDGES];
    for (let i = 0; i < 20_000; i++) ips.push(next());
    let found = 0;
    for (const v of ips) {
      const want = o4.get(v4Text(v));
      const got = m4.getV4(v);
      if (want !== null) found++;
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, v4Text(v)).toEqual(want);
      const want6 = o6.get(v4Text(v));
      const got6 = m6.getV4(v);
      if (JSON.stringify(got6) !== JSON.stringify(want6)) expect(got6, `v6 tree ${v4Text(v)}`).toEqual(want6);
    }
    expect(found).toBeGreaterThan(10_000); // the comparison saw real records, not only misses
    expect(m4.getV4(0x08080808)).toEqual(o4.get('8.8.8.8'));
  });

  it('finds the same IPv6 records (5,000 random, most in announced ranges, plus edges)', () => {
    const next = rng(cacheBytes + 6);
    const ips = [...V6_EDGES];
    // Starts of announced ranges (from the ASN data) with random low bits, so most lookups hit data.
    const starts = readFileSync(join(defaultAsnDir(), 'asn-ipv6.csv'), 'latin1').split('\n');
    for (let i = 0; i < 5000; i++) {
      const ip = parseIp(starts[next() % (starts.length - 1)]!.split(',')[0]!);
      if (ip?.version !== 6) continue;
      const w = ip.words;
      ips.push(i % 10 === 0 ? [next(), next(), next(), next()] : [w[0], w[1], next(), next()]);
    }
    let found = 0;
    for (const w of ips) {
      const want = o6.get(v6Text(w));
      const got = m6.getV6(w);
      if (want !== null) found++;
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, v6Text(w)).toEqual(want);
    }
    expect(found).toBeGreaterThan(2500);
    expect(m4.getV6([0x20014860, 0x48600000, 0, 0x8888])).toBeNull(); // an IPv4 database has no IPv6
  });

  it('stays within its block cache', () => {
    const s = m4.stats();
    expect(s.blocks * 4096).toBeLessThanOrEqual(cacheBytes);
    expect(s.capacity_bytes).toBeLessThanOrEqual(cacheBytes);
    expect(s.reads).toBeGreaterThan(0);
  });
});

describe('MmdbReader on bad files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-mmdb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a file without the metadata marker', () => {
    const p = join(dir, 'plain.mmdb');
    writeFileSync(p, Buffer.alloc(10_000, 7));
    expect(() => new MmdbReader(p)).toThrow(/no metadata marker/);
  });

  it('rejects truncated metadata and a tree larger than the file', () => {
    const real = readFileSync(join(defaultGeoDir(), GEO_V4_FILE));
    const marker = real.lastIndexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
    const cut = join(dir, 'cut.mmdb');
    writeFileSync(cut, real.subarray(marker, marker + 40));
    expect(() => new MmdbReader(cut)).toThrow(RangeError);
    // The real metadata after a few bytes of "tree": node_count says the tree is megabytes long.
    const tiny = join(dir, 'tiny.mmdb');
    writeFileSync(tiny, Buffer.concat([Buffer.alloc(64), real.subarray(marker)]));
    expect(() => new MmdbReader(tiny)).toThrow(/larger than the file/);
  });

  it('rejects a missing file with the fs error', () => {
    expect(() => new MmdbReader(join(dir, 'missing.mmdb'))).toThrow(/ENOENT/);
  });
});
