import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBanValue, canonicalIp, cidrContains, parseCidr, parseIpInto } from './ip.js';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.ipV6();

function contains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const w = new Uint32Array(4);
  const f = parseIpInto(ip, w);
  if (!c || f === 0) throw new Error(`bad input ${cidr} ${ip}`);
  return cidrContains(c, f, w);
}

describe('ip parsing', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:0a01:0203', '10.1.2.3'],
    ['fe80::1%eth0', 'fe80::1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('canonical %s → %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    '1..2.3',
    ':::',
    '1:::2',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    'g::1',
    '::1.2.3',
    '1.2.3.4::',
    'fe80::1%',
    'localhost',
  ])('rejects %j', (input) => {
    expect(canonicalIp(input)).toBeUndefined();
  });

  it('agrees with node:net isIP and WHATWG URL canonical form on random IPv6', () => {
    fc.assert(
      fc.property(v6, (ip) => {
        expect(isIP(ip)).toBe(6);
        const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        const ours = canonicalIp(ip)!;
        if (host.startsWith('::ffff:')) expect(ours).toMatch(/^\d/);
        else expect(ours).toBe(host);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node:net isIP on random text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,20}$/), (s) => {
        expect(canonicalIp(s) !== undefined).toBe(isIP(s) !== 0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('CIDR', () => {
  it('parses, clears host bits and canonicalises', () => {
    expect(canonicalBanValue('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalBanValue('10.1.2.3/32')).toBe('10.1.2.3');
    expect(canonicalBanValue('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(canonicalBanValue('2001:db8::ff/64')).toBe('2001:db8::/64');
    expect(canonicalBanValue('2001:db8::1/128')).toBe('2001:db8::1');
    expect(canonicalBanValue('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(canonicalBanValue(' 192.0.2.7 ')).toBe('192.0.2.7');
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/08',
      '/8',
      '::/129',
      '10.0.0.0/8/8',
      'x/8',
      '1.2.3.4/-1',
    ])
      expect(canonicalBanValue(bad), bad).toBeUndefined();
  });

  it('matches at the edges', () => {
    expect(contains('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(contains('10.0.0.0/8', '9.255.255.255')).toBe(false);
    expect(contains('0.0.0.0/0', '203.0.113.9')).toBe(true);
    expect(contains('192.168.1.128/25', '192.168.1.127')).toBe(false);
    expect(contains('192.168.1.128/25', '192.168.1.255')).toBe(true);
    expect(contains('10.0.0.0/8', '::ffff:10.9.9.9')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(contains('2001:db8::/33', '2001:db8:8000::')).toBe(false);
    expect(contains('2001:db8::/33', '2001:db8:7fff::')).toBe(true);
    expect(contains('::/0', '1.2.3.4')).toBe(false); // families never mix
    expect(contains('10.0.0.0/8', '::a00:1')).toBe(false);
  });

  it('agrees with node:net BlockList on random IPv4 networks', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, (net, prefix, ip) => {
        const bl = new BlockList();
        const c = parseCidr(`${net}/${prefix}`)!;
        bl.addSubnet(canonicalBanValue(`${net}/${prefix}`)!.split('/')[0]!, c.prefix, 'ipv4');
        expect(contains(`${net}/${prefix}`, ip)).toBe(bl.check(ip, 'ipv4'));
        expect(contains(`${net}/${prefix}`, net)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with node:net BlockList on random IPv6 networks', () => {
    fc.assert(
      fc.property(v6, fc.integer({ min: 0, max: 128 }), v6, (net, prefix, ip) => {
        const c = parseCidr(`${net}/${prefix}`)!;
        const w = new Uint32Array(4);
        const fam = parseIpInto(ip, w);
        fc.pre(c.family === 6 && fam === 6);
        const bl = new BlockList();
        bl.addSubnet(canonicalBanValue(`${net}/${prefix}`)!.split('/')[0]!, prefix, 'ipv6');
        expect(cidrContains(c, fam, w)).toBe(bl.check(ip, 'ipv6'));
      }),
      { numRuns: 3000 },
    );
  });
});
