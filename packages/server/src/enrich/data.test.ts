/** Lookups against the GeoIP and ASN data installed from npm (real files, no network). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIp } from '@palisade/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAsn, type AsnDb } from './asn.js';
import { countryName, openGeo, type GeoLookup } from './geo.js';

const ip = (s: string) => parseIp(s)!;

describe('geo (geolite2-city-mmdb)', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await openGeo();
  });

  it('locates well-known public addresses', () => {
    const g = geo.lookup(ip('8.8.8.8'));
    expect(g?.country).toBe('US');
    expect(g?.country_name).toBe('United States');
    expect(typeof g?.lat).toBe('number');
    expect(typeof g?.lon).toBe('number');
    expect(geo.lookup(ip('2001:4860:4860::8888'))?.country).toBe('US');
    expect(geo.lookup(ip('::ffff:8.8.8.8'))?.country).toBe('US');
  });

  it('labels special ranges instead of locating them', () => {
    expect(geo.lookup(ip('10.1.2.3'))).toEqual({ range: 'private' });
    expect(geo.lookup(ip('127.0.0.1'))).toEqual({ range: 'loopback' });
    expect(geo.lookup(ip('fe80::1'))).toEqual({ range: 'link-local' });
  });

  it('fails clearly on a missing database', async () => {
    await expect(openGeo({ path: '/nonexistent/geo.mmdb' })).rejects.toMatchObject({
      code: 'PAL_ERR_ENRICH_DATA',
    });
  });

  it('names countries from ICU data', () => {
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('zz')).toBeUndefined();
  });
});

describe('asn (@ip-location-db/asn)', () => {
  let asn: AsnDb;
  beforeAll(async () => {
    asn = await loadAsn();
  });

  it('finds the AS of well-known addresses', () => {
    expect(asn.lookup(ip('8.8.8.8'))).toEqual({ number: 15169, org: 'Google LLC' });
    expect(asn.lookup(ip('1.1.1.1'))?.number).toBe(13335);
    expect(asn.lookup(ip('2001:4860:4860::8888'))?.number).toBe(15169);
    expect(asn.lookup(ip('10.0.0.1'))).toBeUndefined();
    expect(asn.lookup(ip('::1'))).toBeUndefined();
  });

  it('loads every line of the shipped data into compact tables', () => {
    const s = asn.stats();
    expect(s.v4_ranges).toBeGreaterThan(100_000);
    expect(s.v6_ranges).toBeGreaterThan(10_000);
    expect(s.rejected_lines).toBe(0);
    expect(s.orgs).toBeLessThan(s.v4_ranges);
  });
});

describe('asn CSV parsing', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-asn-'));
    const long = 'x'.repeat(5000);
    writeFileSync(
      join(dir, 'asn-ipv4-num.csv'),
      [
        '16777216,16777471,13335,"Cloudflare, Inc."',
        `16777472,16777473,1,${long}`,
        '16778240,16779263,38803,"LLC ""QUOTED"""',
        'garbage',
        '5,4,1,end before start',
        '16779264,16779265,38803,"LLC ""QUOTED"""',
        '100,200,7,out of order',
        '3000000000,3000000255,4294967294,Last\r',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'asn-ipv6.csv'),
      [
        '2001:db8::,2001:db8::ffff,64500,Doc Net',
        '2001:db8:1::,2001:db8:1::,64501,Single',
        'nope,::,1,x',
      ].join('\n') + '\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads quoted names, counts bad lines, and finds exact bounds', async () => {
    const db = await loadAsn({ dir });
    expect(db.stats()).toMatchObject({ v4_ranges: 4, v6_ranges: 2, rejected_lines: 5, orgs: 5 });
    expect(db.lookup(ip('1.0.0.1'))).toEqual({ number: 13335, org: 'Cloudflare, Inc.' });
    expect(db.lookup(ip('1.0.4.0'))).toEqual({ number: 38803, org: 'LLC "QUOTED"' });
    expect(db.lookup(ip('1.0.8.1'))).toEqual({ number: 38803, org: 'LLC "QUOTED"' });
    expect(db.lookup(ip('1.0.3.255'))).toBeUndefined();
    expect(db.lookup(ip('178.208.94.255'))).toEqual({ number: 4294967294, org: 'Last' });
    expect(db.lookup(ip('2001:db8::ffff'))).toEqual({ number: 64500, org: 'Doc Net' });
    expect(db.lookup(ip('2001:db8::1:0'))).toBeUndefined();
    expect(db.lookup(ip('2001:db8:1::'))).toEqual({ number: 64501, org: 'Single' });
    expect(db.lookup(ip('2001:db8:1::1'))).toBeUndefined();
  });

  it('joins lines split across read chunks and skips an over-long one', async () => {
    const big = mkdtempSync(join(tmpdir(), 'palisade-asn-big-'));
    try {
      const lines: string[] = [];
      let bytes = 0;
      for (let i = 0; bytes < 200_000; i++) {
        // one over-long line straddling the first 64 KB chunk boundary
        const line =
          bytes > 64_000 && bytes < 66_000 && !lines.some((l) => l.length > 2000)
            ? `x${'y'.repeat(3000)}`
            : `${i * 10},${i * 10 + 9},${64512 + (i % 7)},"Org ${i % 7}, Ltd"`;
        lines.push(line);
        bytes += line.length + 1;
      }
      writeFileSync(join(big, 'asn-ipv4-num.csv'), lines.join('\n') + '\n');
      writeFileSync(join(big, 'asn-ipv6.csv'), '');
      const db = await loadAsn({ dir: big });
      expect(db.stats()).toMatchObject({ v4_ranges: lines.length - 1, rejected_lines: 1, orgs: 7 });
      const last = lines.length - 1;
      expect(db.lookup({ version: 4, value: last * 10 + 5 })).toEqual({
        number: 64512 + (last % 7),
        org: `Org ${last % 7}, Ltd`,
      });
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });

  it('fails clearly when a file is missing', async () => {
    await expect(loadAsn({ dir: join(dir, 'missing') })).rejects.toMatchObject({
      code: 'PAL_ERR_ENRICH_DATA',
    });
  });
});
