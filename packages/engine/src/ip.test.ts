import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CidrMap,
  CidrSet,
  cidrContains,
  formatCidr,
  formatIp,
  normalizeCidr,
  normalizeIp,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseIp,
  resolveClientIp,
  specialRange,
  XFF_MAX_ENTRIES,
} from './ip.js';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['8.8.8.8', 0x08080808],
    ['192.168.1.10', 0xc0a8010a],
  ])('accepts %s', (s, v) => expect(parseIPv4(s)).toBe(v));

  it.each([
    '010.0.0.1', // octal to inet_aton, decimal to others
    '1.2.3.04',
    '00.1.2.3',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1..3.4',
    '1.2.3.',
    '0x7f.0.0.1',
    '2130706433',
    '1.2.3.-4',
    '١.٢.٣.٤',
    '',
  ])('rejects %j', (s) => expect(parseIPv4(s)).toBeNull());
});

describe('parseIPv6', () => {
  it.each([
    ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['1::', [0x00010000, 0, 0, 0]],
    ['2001:db8::8:800:200c:417a', [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ['2001:DB8:0:0:8:800:200C:417A', [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ['::ffff:1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['64:ff9b::192.0.2.33', [0x0064ff9b, 0, 0, 0xc0000221]],
    ['fe80::1%eth0', [0xfe800000, 0, 0, 1]],
    ['1:2:3:4:5:6:7::', [0x00010002, 0x00030004, 0x00050006, 0x00070000]],
    ['::2:3:4:5:6:7:8', [0x00000002, 0x00030004, 0x00050006, 0x00070008]],
    ['1:2:3:4:5:6:1.2.3.4', [0x00010002, 0x00030004, 0x00050006, 0x01020304]],
  ])('parses %s', (s, w) => expect(parseIPv6(s)).toEqual(w));

  it.each([
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1::',
    '1::2:',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::1',
    '::1.2.3',
    '::1.2.3.04',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%',
    '[::1]',
    '',
  ])('rejects %j', (s) => expect(parseIPv6(s)).toBeNull());
});

describe('parseIp / formatIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ version: 4, value: 0x0a000001 });
    expect(parseIp('::FFFF:a00:1')).toEqual({ version: 4, value: 0x0a000001 });
    expect(normalizeIp('::ffff:8.8.8.8')).toBe('8.8.8.8');
  });

  it('formats IPv6 per RFC 5952', () => {
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // first of equal runs
    expect(normalizeIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // one zero group stays
    expect(normalizeIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
  });

  it('rejects over-long text without scanning it', () => {
    expect(parseIp('1'.repeat(10_000))).toBeNull();
    expect(parseIp('x'.repeat(200))).toBeNull();
    expect(parseIp('hello')).toBeNull();
  });

  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:DB8::1%eth0', '2001:db8::1'],
    ['::FFFF:0a01:0203', '10.1.2.3'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], // a single zero group is not compressed
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::a00:1', '::a00:1'], // IPv4-compatible (deprecated), not mapped: stays IPv6
  ])('normalizes %s → %s', (input, out) => expect(normalizeIp(input)).toBe(out));

  it.each([
    '',
    '01.2.3.4',
    '1.2.3.256',
    '1..2.3',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    'localhost',
    'example.com',
    '1::2::3',
  ])('normalizeIp rejects %j', (input) => expect(normalizeIp(input)).toBeNull());

  it('agrees with node:net isIP and the WHATWG URL canonical form on random IPv6 (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(isIP(ip)).toBe(6);
        const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        const ours = normalizeIp(ip)!;
        if (host.startsWith('::ffff:')) expect(ours).toMatch(/^\d/);
        else expect(ours).toBe(host);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node:net isIP on random address-like text (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,20}$/), (s) => {
        expect(normalizeIp(s) !== null).toBe(isIP(s) !== 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips every IPv4 address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIp(parseIp(s)!)).toBe(s);
      }),
    );
  });

  it('round-trips every IPv6 address through its canonical form (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const ip = parseIp(s);
        expect(ip).not.toBeNull();
        const text = formatIp(ip!);
        // canonical text parses back to the same address and is a fixed point
        expect(parseIp(text)).toEqual(ip);
        expect(normalizeIp(text)).toBe(text);
      }),
    );
  });

  it('round-trips random words (property)', () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), (w) => {
        const text = formatIp({ version: 6, words: w });
        const back = parseIp(text)!;
        if (back.version === 4) expect(w.slice(0, 3)).toEqual([0, 0, 0xffff]);
        else expect(back.words).toEqual(w);
      }),
    );
  });
});

describe('CIDR', () => {
  it('parses, clears host bits and formats', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8')!)).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('1.2.3.4')!)).toBe('1.2.3.4/32');
    expect(formatCidr(parseCidr('2001:db8:9234::1/33')!)).toBe('2001:db8:8000::/33');
    expect(formatCidr(parseCidr('::1')!)).toBe('::1/128');
    expect(formatCidr(parseCidr('0.0.0.0/0')!)).toBe('0.0.0.0/0');
    expect(formatCidr(parseCidr('::ffff:10.0.0.0/104')!)).toBe('10.0.0.0/8');
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/8/8', 'x/8', '/8'])(
    'rejects %j',
    (s) => expect(parseCidr(s)).toBeNull(),
  );

  it('contains', () => {
    const c = parseCidr('172.16.0.0/12')!;
    expect(cidrContains(c, parseIp('172.31.255.255')!)).toBe(true);
    expect(cidrContains(c, parseIp('172.32.0.0')!)).toBe(false);
    expect(cidrContains(c, parseIp('::ffff:172.20.0.1')!)).toBe(true);
    expect(cidrContains(c, parseIp('2001:db8::1')!)).toBe(false);
    const v6 = parseCidr('2001:db8::/32')!;
    expect(cidrContains(v6, parseIp('2001:db8:ffff::1')!)).toBe(true);
    expect(cidrContains(v6, parseIp('2001:db9::1')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0')!, parseIp('ffff::1')!)).toBe(true);
  });

  it('normalizes ban values: host bits cleared, a full-length prefix as the plain address', () => {
    expect(normalizeCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normalizeCidr('10.1.2.3/32')).toBe('10.1.2.3');
    expect(normalizeCidr('10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeCidr('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(normalizeCidr('2001:db8::ff/64')).toBe('2001:db8::/64');
    expect(normalizeCidr('2001:db8::1/128')).toBe('2001:db8::1');
    expect(normalizeCidr('2001:DB8:0:0::/32')).toBe('2001:db8::/32');
    expect(normalizeCidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(normalizeCidr('::ffff:10.0.0.1/128')).toBe('10.0.0.1');
    for (const bad of [
      '10.0.0.0/33',
      '/8',
      '1.2.3.4/-1',
      '1.2.3',
      'example.com',
      '',
      `1.2.3.4/${'1'.repeat(200)}`,
    ])
      expect(normalizeCidr(bad), bad).toBeNull();
  });

  it('contains: edges of a prefix, and families never mix', () => {
    const contains = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);
    expect(contains('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(contains('10.0.0.0/8', '9.255.255.255')).toBe(false);
    expect(contains('0.0.0.0/0', '203.0.113.9')).toBe(true);
    expect(contains('192.168.1.128/25', '192.168.1.127')).toBe(false);
    expect(contains('192.168.1.128/25', '192.168.1.255')).toBe(true);
    expect(contains('2001:db8::/33', '2001:db8:8000::')).toBe(false);
    expect(contains('2001:db8::/33', '2001:db8:7fff::')).toBe(true);
    expect(contains('::/0', '1.2.3.4')).toBe(false);
    expect(contains('10.0.0.0/8', '::a00:1')).toBe(false);
  });

  it('contains agrees with node:net BlockList on random IPv4 networks (property)', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, (net, prefix, ip) => {
        const c = parseCidr(`${net}/${prefix}`)!;
        const bl = new BlockList();
        bl.addSubnet(formatIp(c.ip), c.prefix, 'ipv4');
        expect(cidrContains(c, parseIp(ip)!)).toBe(bl.check(ip, 'ipv4'));
        expect(cidrContains(c, parseIp(net)!)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('contains agrees with node:net BlockList on random IPv6 networks (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), (net, prefix, ip) => {
        const c = parseCidr(`${net}/${prefix}`)!;
        const a = parseIp(ip)!;
        fc.pre(c.ip.version === 6 && a.version === 6);
        const bl = new BlockList();
        bl.addSubnet(formatIp(c.ip), prefix, 'ipv6');
        expect(cidrContains(c, a)).toBe(bl.check(ip, 'ipv6'));
      }),
      { numRuns: 3000 },
    );
  });

  it('contains agrees with a bitwise reference (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, b, p) => {
        const c = parseCidr(`${a}/${p}`)!;
        const x = parseIp(a)!;
        const y = parseIp(b)!;
        if (x.version !== 4 || y.version !== 4) throw new Error('v4 expected');
        const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
        expect(cidrContains(c, y)).toBe((x.value & mask) >>> 0 === (y.value & mask) >>> 0);
      }),
    );
  });
});

describe('CidrSet / CidrMap', () => {
  it('matches addresses and prefixes of both families', () => {
    const s = new CidrSet();
    expect(s.add('10.0.0.0/8')).toBe(true);
    expect(s.add('203.0.113.7')).toBe(true);
    expect(s.add('2001:db8::/32')).toBe(true);
    expect(s.add('not an ip')).toBe(false);
    expect(s.size).toBe(3);
    expect(s.has('10.200.1.1')).toBe(true);
    expect(s.has('::ffff:10.200.1.1')).toBe(true);
    expect(s.has('203.0.113.7')).toBe(true);
    expect(s.has('203.0.113.8')).toBe(false);
    expect(s.has('2001:db8:5::1')).toBe(true);
    expect(s.has('2001:db9::1')).toBe(false);
    expect(s.has('garbage')).toBe(false);
    expect(s.delete('10.0.0.0/8')).toBe(true);
    expect(s.has('10.200.1.1')).toBe(false);
    expect(s.size).toBe(2);
  });

  it('gives the longest match', () => {
    const m = new CidrMap<string>();
    m.set('10.0.0.0/8', 'wide');
    m.set('10.1.0.0/16', 'narrow');
    m.set('::/0', 'all v6');
    m.set('2001:db8::/48', 'doc');
    expect(m.get('10.1.2.3')).toBe('narrow');
    expect(m.get('10.2.2.3')).toBe('wide');
    expect(m.get('11.0.0.1')).toBeUndefined();
    expect(m.get('2001:db8::1')).toBe('doc');
    expect(m.get('2001:db8:1::1')).toBe('all v6');
  });

  it('takes a catch-all, single addresses and IPv4-mapped lookups', () => {
    const m = new CidrMap<string>();
    expect(m.set('10.0.0.0/8', 'wide')).toBe(true);
    expect(m.set('203.0.113.5', 'one')).toBe(true);
    expect(m.set('0.0.0.0/0', 'all-v4')).toBe(true);
    expect(m.set('2001:db8::/32', 'v6')).toBe(true);
    expect(m.set('nonsense', 'x')).toBe(false);
    expect(m.size).toBe(4);
    expect(m.get('::ffff:10.2.2.3')).toBe('wide');
    expect(m.get('203.0.113.5')).toBe('one');
    expect(m.get('203.0.113.6')).toBe('all-v4');
    expect(m.get('2001:db9::1')).toBeUndefined();
    expect(m.get('010.0.0.1')).toBeUndefined(); // not an address, not a match
    expect(m.has('garbage')).toBe(false);
  });

  it('find skips values the predicate refuses and falls back to shorter prefixes', () => {
    const m = new CidrMap<number>();
    m.set('10.0.0.0/8', 1);
    m.set('10.1.0.0/16', 2);
    m.set('2001:db8::/32', 3);
    m.set('2001:db8::/48', 4);
    expect(m.find('10.1.1.1', (v) => v === 1)).toBe(1);
    expect(m.find(parseIp('10.1.1.1')!, (v) => v === 2)).toBe(2);
    expect(m.find('10.1.1.1', () => false)).toBeUndefined();
    expect(m.find('2001:db8::1', (v) => v !== 4)).toBe(3);
    expect(m.find('not an ip', () => true)).toBeUndefined();
  });

  it('has counts a CIDR whose value is null or undefined', () => {
    const m = new CidrMap<null | undefined>();
    m.set('192.0.2.0/24', null);
    m.set('2001:db8::/32', undefined);
    expect(m.has('192.0.2.9')).toBe(true);
    expect(m.has('2001:db8::9')).toBe(true);
    expect(m.has('192.0.3.9')).toBe(false);
  });

  it('agrees with a linear scan (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })), { maxLength: 20 }),
        fc.array(fc.ipV4(), { maxLength: 20 }),
        (cidrs, ips) => {
          const s = new CidrSet();
          const parsed = cidrs.map(([a, p]) => parseCidr(`${a}/${p}`)!);
          for (const c of parsed) s.add(c);
          for (const ip of ips) {
            const a = parseIp(ip)!;
            expect(s.has(a)).toBe(parsed.some((c) => cidrContains(c, a)));
          }
        },
      ),
    );
  });
});

describe('specialRange (IANA special-purpose registries)', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this-network'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['192.0.0.9', 'ietf-protocol'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['100::1', 'discard'],
    ['fec0::1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s → %s', (ip, label) => expect(specialRange(ip)).toBe(label));

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '198.20.0.1',
    '192.0.3.1',
    '223.255.255.255',
    '2001:4860:4860::8888',
    '2a00:1450::1',
    '64:ff9b::8.8.8.8',
    '2001:0:4136:e378::1', // Teredo
  ])('%s is global', (ip) => expect(specialRange(ip)).toBeUndefined());
});

describe('resolveClientIp (X-Forwarded-For behind trusted proxies)', () => {
  const trusted = (...c: string[]) => {
    const s = new CidrSet();
    for (const x of c) s.add(x);
    return s;
  };

  it('uses the peer when it is not trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('::ffff:198.51.100.7', '1.2.3.4', trusted('10.0.0.0/8'))).toEqual({
      ip: '198.51.100.7',
      peerTrusted: false,
      peer: '198.51.100.7',
    });
    expect(resolveClientIp('192.0.2.1', '203.0.113.5', trusted()).ip).toBe('192.0.2.1');
    expect(resolveClientIp(undefined, '203.0.113.5', trusted('10.0.0.0/8')).ip).toBe('');
    expect(resolveClientIp('2001:DB8::0:1', undefined, trusted()).peer).toBe('2001:db8::1');
  });

  it('keeps a trusted peer without the header', () => {
    expect(resolveClientIp('10.0.0.1', undefined, trusted('10.0.0.0/8'))).toEqual({
      ip: '10.0.0.1',
      peerTrusted: true,
      peer: '10.0.0.1',
    });
  });

  // [peer, X-Forwarded-For, client]; trusted: 10.0.0.0/8, 2001:db8::/32, 127.0.0.1
  it.each<[string, string | string[], string]>([
    // right to left, to the first untrusted address
    ['10.0.0.1', '6.6.6.6, 203.0.113.5, 10.9.9.9', '203.0.113.5'],
    ['10.0.0.1', ['6.6.6.6', '[2001:db8::2]:443'], '6.6.6.6'],
    ['10.0.0.1', ['198.51.100.1', '10.0.0.8'], '198.51.100.1'],
    ['10.0.0.1', '203.0.113.5:4711', '203.0.113.5'],
    ['127.0.0.1', '[2001:DB9::7]:443', '2001:db9::7'],
    ['127.0.0.1', '2001:db9:0::7', '2001:db9::7'],
    ['127.0.0.1', '::ffff:203.0.113.5', '203.0.113.5'],
    ['10.0.0.1', '10.1.1.1, 10.2.2.2', '10.1.1.1'], // all trusted: the left-most one
    // garbage stops the walk at the nearest address known good
    ['10.0.0.1', '6.6.6.6, unknown, 10.2.2.2', '10.2.2.2'],
    ['127.0.0.1', '203.0.113.5, unknown', '127.0.0.1'],
    ['127.0.0.1', 'unknown, 10.0.0.1', '10.0.0.1'],
    ['127.0.0.1', '203.0.113.5,,10.0.0.1', '10.0.0.1'],
    ['127.0.0.1', '', '127.0.0.1'],
    ['127.0.0.1', '010.0.0.1', '127.0.0.1'],
  ])('from %s with X-Forwarded-For %j the client is %s', (peer, xff, client) => {
    const t = trusted('10.0.0.0/8', '2001:db8::/32', '127.0.0.1');
    expect(resolveClientIp(peer, xff, t)).toEqual({ ip: client, peerTrusted: true, peer });
  });

  it('looks at most XFF_MAX_ENTRIES entries, counted from the right', () => {
    const t = trusted('10.0.0.0/8');
    const long = [...Array(100).fill('10.3.3.3'), '10.4.4.4'].join(',');
    expect(resolveClientIp('10.0.0.1', `6.6.6.6,${long}`, t).ip).toBe('10.3.3.3');
    expect(XFF_MAX_ENTRIES).toBe(32);
  });

  it('a long forged prefix cannot push out the hops the trusted proxies appended', () => {
    // Over a thousand client-written entries, then what the trusted proxies added on the right.
    const forged = '6.6.6.6,'.repeat(1500);
    const t = trusted('10.0.0.0/8');
    expect(resolveClientIp('10.0.0.1', `${forged}203.0.113.5, 10.2.2.2`, t).ip).toBe('203.0.113.5');
    expect(resolveClientIp('10.0.0.1', [forged, '203.0.113.5'], t).ip).toBe('203.0.113.5');
  });
});
